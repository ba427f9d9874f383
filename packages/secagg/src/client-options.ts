/**
 * What a SecAgg client is given, checked before the round starts: its randomness and crypto, its
 * long-term signing key and identity, the key directory a `key_directory` round requires (and an
 * `honest_but_curious` round forbids, so a server cannot downgrade the client), and the floors it
 * holds the round's configuration to, whatever the server says.
 */
import { PinholeError, type Rng, cryptoRng, requireSecureRng } from '@pinhole/core';
import { checkBoolean, checkInteger, checkNumber, checkObject, checkUint8Array, invalid } from '@pinhole/core/validate';
import { type SecAggAssumptions, type SecAggRoundConfig, checkFloors } from './config.js';
import { type SecAggCrypto, isSecAggCrypto, webCryptoProvider } from './crypto.js';
import { type KeyDirectory, isKeyDirectory } from './directory.js';
import { IDENTITY_PATTERN } from './messages.js';

/** Floors the client enforces whatever the server's configuration says. */
export interface SecAggClientMinimums {
  dropoutRate?: number;
  corruptFraction?: number;
  securityBits?: number;
  /** the fewest contributors (|U3|) this client unmasks a sum for */
  contributors?: number;
}

export interface SecAggClientOptions {
  /** randomness for keys, b_u and share polynomials; cryptoRng() by default */
  rng?: Rng;
  /** accept a seeded (insecure) rng: simulations and tests only */
  allowInsecureRng?: boolean;
  /** webCryptoProvider() by default */
  crypto?: SecAggCrypto;
  /** the device's long-term Ed25519 secret key (32 bytes); required with a directory */
  signingKey?: Uint8Array;
  /** the identity the directory knows the signing key under; required with a directory */
  identity?: string;
  /** who vouches for the neighbours' signing keys; required for a `key_directory` round */
  directory?: KeyDirectory;
  /**
   * Take part in an `honest_but_curious` round (no directory): the caller accepts that a server
   * that deviates from the protocol can read this device's input. Without it such a round is refused.
   */
  honestButCurious?: boolean;
  minimums?: SecAggClientMinimums;
}

/** The checked options of client `id` in a round of `config`. */
export interface ClientSetup {
  readonly rng: Rng;
  readonly crypto: SecAggCrypto;
  readonly directory: KeyDirectory | undefined;
  readonly signingSecret: Uint8Array;
  readonly identity: string;
  readonly minContributors: number;
}

export function clientSetup(config: SecAggRoundConfig, id: number, options: SecAggClientOptions): ClientSetup {
  let directory: KeyDirectory | undefined;
  let signingSecret: Uint8Array;
  const rng = requireSecureRng(options.rng ?? cryptoRng(), options.allowInsecureRng);
  if (options.crypto !== undefined && !isSecAggCrypto(options.crypto)) throw invalid('crypto', 'a SecAggCrypto provider', options.crypto);
  const crypto = options.crypto ?? webCryptoProvider();
  if (options.directory !== undefined && !isKeyDirectory(options.directory)) throw invalid('directory', 'a KeyDirectory (verify(identity, publicKey))', options.directory);
  const hbc = options.honestButCurious === undefined ? false : checkBoolean('honestButCurious', options.honestButCurious);
  if (config.threatModel === 'key_directory') {
    if (options.directory === undefined) throw invalid('directory', 'a KeyDirectory: the round config is "key_directory"', options.directory);
    directory = options.directory;
  } else {
    if (options.directory !== undefined) {
      throw new PinholeError('protocol_violation', 'threatModel', 'the round config is "honest_but_curious" but this client has a key directory: downgrade refused');
    }
    if (!hbc) throw invalid('honestButCurious', 'true to take part in an "honest_but_curious" round (no key directory: a deviating server can read the input)', options.honestButCurious);
    directory = undefined;
  }
  if (options.signingKey === undefined) {
    if (directory !== undefined) throw invalid('signingKey', "the device's 32-byte Ed25519 secret key (required with a directory)", options.signingKey);
    signingSecret = rng.bytes(32);
  } else signingSecret = Uint8Array.from(checkUint8Array('secretKey', options.signingKey, 32));
  if (options.identity === undefined && directory !== undefined) throw invalid('identity', 'the identity the directory knows this device under', options.identity);
  const identity = options.identity ?? `slot-${id}`;
  if (typeof identity !== 'string' || !IDENTITY_PATTERN.test(identity)) throw invalid('identity', 'an identity of 1-128 characters [A-Za-z0-9._:@-]', identity);
  const m = options.minimums === undefined ? {} : checkObject('minimums', options.minimums);
  const a = config.assumptions;
  const floors: SecAggAssumptions = {
    dropoutRate: Math.max(a.dropoutRate, checkNumber('minimums.dropoutRate', m.dropoutRate === undefined ? 0 : m.dropoutRate, { ge: 0, lt: 1 })),
    corruptFraction: Math.max(a.corruptFraction, checkNumber('minimums.corruptFraction', m.corruptFraction === undefined ? 0 : m.corruptFraction, { ge: 0, lt: 1 })),
    securityBits: Math.max(a.securityBits, checkNumber('minimums.securityBits', m.securityBits === undefined ? 0 : m.securityBits, { ge: 0, le: 1000 })),
  };
  const weak = checkFloors(config, floors);
  if (weak !== null) throw new PinholeError('protocol_violation', weak.param, `refused: ${weak.message}`);
  const minContributors = Math.max(config.minContributors, checkInteger('minimums.contributors', m.contributors === undefined ? 0 : m.contributors, { ge: 0, le: config.cohortSize }));
  return { rng, crypto, directory, signingSecret, identity, minContributors };
}
