export * from './topics.ts';
export * from './payloads.ts';
export * from './messages.ts';
export * from './stats.ts';
export * from './experiment.ts';
