/**
 * Validators on the device path do not echo the private value (issue 16, item 7): a measurement
 * that fails validation or bucketing names the field and the rule, never the value. Public
 * parameters (domain names, edges, bounds) still appear in messages.
 */
import { describe, expect, it } from 'vitest';
import { PinholeError, validateNetworkSample } from '@pinhole/core';
import { boundedReal, bucketedDomain, categoricalDomain } from '@pinhole/core/schema';

const VALID = {
  networkType: '5g-nsa',
  operator: '460-00',
  cell: 'guangdong/shenzhen',
  downlinkMbps: 312,
  rttMs: 28,
  deviceClass: 'phone-high',
  timestamp: Date.UTC(2026, 0, 1),
};

function hidden(fn: () => unknown, secret: string, param: string): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(PinholeError);
  const e = caught as PinholeError;
  expect(e.param).toBe(param);
  expect(e.message.startsWith(`"${param}" expected `)).toBe(true);
  expect(e.message).not.toContain(secret);
}

describe('device-path validators keep the value out of the message', () => {
  it('validateNetworkSample', () => {
    hidden(() => validateNetworkSample({ ...VALID, rttMs: 987654.321 }), '987654.321', 'sample.rttMs');
    hidden(() => validateNetworkSample({ ...VALID, downlinkMbps: -12.3456 }), '12.3456', 'sample.downlinkMbps');
    hidden(() => validateNetworkSample({ ...VALID, operator: 'secret-op' }), 'secret-op', 'sample.operator');
    hidden(() => validateNetworkSample({ ...VALID, cell: 'secret cell with spaces' }), 'secret cell', 'sample.cell');
    hidden(() => validateNetworkSample({ ...VALID, networkType: 'secret-type' }), 'secret-type', 'sample.networkType');
    hidden(() => validateNetworkSample({ ...VALID, timestamp: 123456789.5 }), '123456789.5', 'sample.timestamp');
    hidden(() => validateNetworkSample({ ...VALID, wifiRssiDbm: -67.891 }), '67.891', 'sample.wifiRssiDbm');
    hidden(() => validateNetworkSample({ ...VALID, secretField: 'secret-extra' }), 'secret-extra', 'sample.secretField');
    hidden(() => validateNetworkSample({ ...VALID, streaming: { activity: 'video', bitrateKbps: -2350.75 } }), '2350.75', 'sample.streaming.bitrateKbps');
    hidden(() => validateNetworkSample({ ...VALID, streaming: { activity: 'secret-activity' } }), 'secret-activity', 'sample.streaming.activity');
    hidden(() => validateNetworkSample({ ...VALID, streaming: { activity: 'video', secretKey: 'secret-extra' } }), 'secret-extra', 'sample.streaming.secretKey');
    hidden(() => validateNetworkSample({ ...VALID, streaming: 'secret-string' }), 'secret-string', 'sample.streaming');
  });

  it('domains: categorical index, bucketed index/bucketize, bounded clamp/toUnit', () => {
    const ops = categoricalDomain('operator', ['460-00', '460-01']);
    hidden(() => ops.index('secret-460-99'), 'secret-460-99', 'operator');
    const rtt = bucketedDomain('rttMs', { edges: [0, 50, 100], outOfRange: 'reject' });
    hidden(() => rtt.index(987654.321), '987654.321', 'rttMs');
    hidden(() => rtt.bucketize([1, 987654.321]), '987654.321', 'values[1]');
    const dl = boundedReal('downlink', { min: 0, max: 1000 });
    hidden(() => dl.toUnit('secret-text' as never), 'secret-text', 'downlink');
    hidden(() => dl.clamp({ secretKey: 1 } as never), 'secretKey', 'downlink');
  });
});
