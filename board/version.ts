declare const DESKBOX_VERSION: string | undefined;

/** Set by the bundler from package.json; source runs (tests under tsx) say `dev`. */
export const AGENT_VERSION: string = typeof DESKBOX_VERSION === 'string' ? DESKBOX_VERSION : 'dev';
