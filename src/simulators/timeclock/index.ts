/** TimeClock 365 simulator: a seeded dataset behind a JSON-RPC server on loopback. */
export * from './dataset.ts';
export * from './server.ts';
export { dstTransitions, elapsedSeconds, stampToEpoch, epochToStamp, type DstTransition } from './time.ts';
