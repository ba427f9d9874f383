/**
 * @pinhole/client: the on-device SDK. Records network-quality samples, keeps the device's privacy
 * budget, turns samples into perturbed round reports as the plan says, and uploads them with
 * retries and an offline queue. Runs in browsers, React Native and Node: no node: modules, no
 * tfjs, randomness from WebCrypto, fetch and storage injected. Secure aggregation is a separate
 * entry (`@pinhole/client/secagg`) so apps that do not use it do not load it.
 */
export { type ClientOptions, type ClientStatus, type PinholeClient, type SyncError, type SyncOutcome, type SyncResult, createClient, checkDevicePlan } from './client.js';
export { type KeyValueStorage, type WebStorageLike, memoryStorage, webStorage, indexedDbStorage } from './storage.js';
export { type BudgetStatus, type LedgerEntry } from './ledger.js';
export { type QueueCounters } from './queue.js';
export { type RetryPolicy, type Fetch, type FetchResponse, DEFAULT_RETRY } from './transport.js';
export { type DeviceInput, deviceMechanism, deviceEntry, toUnitInterval } from './device.js';
export { type DeviceInputs, deviceInputs } from './inputs.js';
export { type RoundView, type SecureAggregation, type SecureAggregationContext, type SecureAggregationOutcome } from './plugin.js';
export type { NetworkSample, NetworkType, DeviceClass, StreamingContext, PrivacyLoss, Plan, Rng } from '@pinhole/core';
