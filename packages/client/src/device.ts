/**
 * What a device computes for one collection of a plan: the mechanism it perturbs with and the
 * entry it uploads (local DP and central modes). The client uses it, and so do the bench and the
 * aggregator's tests, so the layout exists once. The secure-aggregation vector is in
 * device-vector.ts (the `@pinhole/client/secagg` entry), so an app without secure aggregation does
 * not load the gate. Device-side errors name the rule, never the value (the value is private).
 */
import { type PlanCollection, type ReportEntry, type Rng, PinholeError } from '@pinhole/core';
import { encodeExactBucket, encodeExactValue } from '@pinhole/core/wire';
import { type AnyDeviceOracle, type DeviceNumericMechanism, DEVICE_NUMERIC_MECHANISMS, DEVICE_ORACLES } from '@pinhole/ldp';

/** A device's input for one collection: its bucket (histogram) or its group and value (mean). */
export type DeviceInput = { readonly bucket: number } | { readonly group: number; readonly value: number };

export function privateInvalid(param: string, rule: string): PinholeError {
  return new PinholeError('invalid_argument', param, `"${param}" expected ${rule}`);
}

export function checkBucket(c: PlanCollection, input: DeviceInput): number {
  const b = (input as { bucket?: unknown }).bucket;
  if (typeof b !== 'number' || !Number.isSafeInteger(b) || b < 0 || b >= c.domainSize) throw privateInvalid('input.bucket', `an integer >= 0 and < ${c.domainSize}`);
  return b;
}

export function checkGroupValue(c: PlanCollection, input: DeviceInput): { group: number; value: number } {
  const { group, value } = input as { group?: unknown; value?: unknown };
  if (typeof group !== 'number' || !Number.isSafeInteger(group) || group < 0 || group >= c.groups) throw privateInvalid('input.group', `an integer >= 0 and < ${c.groups}`);
  if (typeof value !== 'number' || !Number.isFinite(value)) throw privateInvalid('input.value', 'a finite number');
  return { group, value };
}

/** The local mechanism of an ldp collection as a device runs it (an oracle for histograms, a numeric mechanism for means). */
export function deviceMechanism(c: PlanCollection, options: { readonly allowInsecureRng?: boolean } = {}): AnyDeviceOracle | DeviceNumericMechanism {
  const allowInsecureRng = options.allowInsecureRng === true;
  if (c.mode !== 'ldp') throw new PinholeError('invalid_argument', 'collection', `"collection" expected a local-DP collection, got mode "${c.mode}"`);
  if (c.kind === 'histogram') return DEVICE_ORACLES[c.mechanism.name]({ epsilon: c.mechanism.epsilon, domainSize: c.mechanism.domainSize, allowInsecureRng });
  return DEVICE_NUMERIC_MECHANISMS[c.mechanism.name]({ epsilon: c.mechanism.epsilon, allowInsecureRng });
}

/** A mean value clamped to [lo, hi] and mapped onto [-1, 1], the input of a numeric mechanism. */
export function toUnitInterval(bounds: readonly [number, number], value: number): number {
  const [lo, hi] = bounds;
  const v = value < lo ? lo : value > hi ? hi : value;
  return ((v - lo) / (hi - lo)) * 2 - 1;
}

/**
 * The report entry of one collection: perturbed on the device (ldp) or exact (central). `mechanism`
 * may be passed to reuse one built with deviceMechanism.
 */
export function deviceEntry(
  c: PlanCollection,
  input: DeviceInput,
  rng: Rng,
  options: { readonly allowInsecureRng?: boolean; readonly mechanism?: AnyDeviceOracle | DeviceNumericMechanism } = {},
): ReportEntry {
  if (c.mode === 'secagg') throw new PinholeError('invalid_argument', 'collection', `"collection" "${c.id}" is collected by secure aggregation (deviceVector), not by report entries`);
  if (c.mode === 'prio3')
    throw new PinholeError('invalid_argument', 'collection', `"collection" "${c.id}" is collected by two aggregators (prio3Report in @pinhole/client/prio3), not by one report entry`);
  if (c.mode === 'central') {
    if (c.kind === 'histogram') return { collection: c.id, bytes: encodeExactBucket(checkBucket(c, input)) };
    const { group, value } = checkGroupValue(c, input);
    return { collection: c.id, group, bytes: encodeExactValue(value) };
  }
  const mech = options.mechanism ?? deviceMechanism(c, options);
  if (c.kind === 'histogram') {
    const oracle = mech as AnyDeviceOracle;
    return { collection: c.id, bytes: oracle.encodeReport(oracle.perturb(checkBucket(c, input), rng)) };
  }
  const { group, value } = checkGroupValue(c, input);
  const numeric = mech as DeviceNumericMechanism;
  return { collection: c.id, group, bytes: numeric.encodeReport(numeric.perturb(toUnitInterval(c.mechanism.bounds, value), rng)) };
}
