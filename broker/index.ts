/**
 * The desk broker's public entry: what the desk computer's tools (host/) use to run a broker
 * and manage its users. Everything else under broker/ is its inside; the wire contract that
 * boards, host and outside clients share is broker/contract/.
 */
export { createDeskBroker, type DeskBroker } from './server.ts';
export { plainListenersAllowed } from './listener-plan.ts';
export { LISTENER_NAMES, type ListenerName } from './listeners.ts';
export { loadUsers, newGeneratedUser, newUser, saveUsers, UserStore } from './users.ts';
export { generateSecret, isGeneratedSecret } from './passwords.ts';
export { ROLES, type Principal, type Role } from './policy.ts';
export { LoginThrottle } from './login-throttle.ts';
export { openSqlitePersistence } from './persistence/sqlite.ts';
export { openClusterStore, type ClusterStore } from './cluster.ts';
