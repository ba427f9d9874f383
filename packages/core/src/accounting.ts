/**
 * Privacy accounting: (epsilon, delta) losses, sequential composition and a budget ledger that
 * refuses over-budget spends (zCDP spends compose by their rho). The maps from noise to loss are
 * privacy-maps.ts. Proofs: accounting.proof.md.
 */
import { PinholeError } from './errors.js';
import { type Decimal, DECIMAL_ZERO, decimalAdd, decimalCompare, decimalOf, decimalSub, decimalToNumber } from './decimal.js';
import { type PrivacyLoss, type ZcdpLoss, zcdpToEpsilon } from './privacy-maps.js';
import { checkDelta, checkNumber, checkObject, checkString, invalid, isArray } from './validate.js';

export function privacyLoss(epsilon: number, delta = 0): PrivacyLoss {
  checkNumber('epsilon', epsilon, { ge: 0 });
  checkDelta(delta);
  return Object.freeze({ epsilon, delta });
}

function checkLoss(param: string, value: unknown): PrivacyLoss {
  const o = checkObject(param, value);
  checkNumber(`${param}.epsilon`, o.epsilon, { ge: 0 });
  checkNumber(`${param}.delta`, o.delta, { ge: 0, lt: 1 });
  return o as unknown as PrivacyLoss;
}

/** Basic sequential composition: epsilons and deltas add (summed exactly in decimal). */
export function composeSequential(losses: readonly PrivacyLoss[]): PrivacyLoss {
  if (!isArray(losses)) throw invalid('losses', 'an array of PrivacyLoss', losses);
  let e = DECIMAL_ZERO;
  let d = DECIMAL_ZERO;
  losses.forEach((l, i) => {
    checkLoss(`losses[${i}]`, l);
    e = decimalAdd(e, decimalOf(l.epsilon));
    d = decimalAdd(d, decimalOf(l.delta));
  });
  return { epsilon: decimalToNumber(e), delta: decimalToNumber(d) };
}

export interface LedgerEntry {
  readonly label: string;
  readonly loss: PrivacyLoss | ZcdpLoss;
  readonly at: number;
}

export interface AccountantOptions {
  budget: PrivacyLoss;
  /** clock for the ledger's timestamps (injected for tests); defaults to Date.now */
  now?: () => number;
}

function isZcdp(loss: PrivacyLoss | ZcdpLoss): loss is ZcdpLoss {
  return typeof (loss as ZcdpLoss).rho === 'number' && (loss as PrivacyLoss).epsilon === undefined;
}

/**
 * Records spends against an (epsilon, delta) budget. Pure and approximate-DP spends compose by
 * exact decimal addition; zCDP spends add their rho, and the total rho is converted to epsilon with
 * the delta the budget has left (a valid split: rho-zCDP ⇒ (eps_rho, delta_rho)-DP for any delta_rho).
 * A spend that does not fit is refused with `budget_exceeded` and changes nothing.
 */
export class PrivacyAccountant {
  readonly budget: PrivacyLoss;
  #epsilon: Decimal = DECIMAL_ZERO;
  #delta: Decimal = DECIMAL_ZERO;
  #rho: Decimal = DECIMAL_ZERO;
  readonly #budgetEpsilon: Decimal;
  readonly #budgetDelta: Decimal;
  readonly #entries: LedgerEntry[] = [];
  readonly #now: () => number;

  constructor(options: AccountantOptions) {
    checkObject('options', options);
    this.budget = Object.freeze({ ...checkLoss('budget', options.budget) });
    this.#budgetEpsilon = decimalOf(this.budget.epsilon);
    this.#budgetDelta = decimalOf(this.budget.delta);
    if (options.now !== undefined && typeof options.now !== 'function') throw invalid('now', 'a function', options.now);
    this.#now = options.now ?? Date.now;
  }

  /** The (epsilon, delta) the ledger would total with `extra` added, or null if zCDP cannot be converted. */
  #total(epsilon: Decimal, delta: Decimal, rho: Decimal): { epsilon: number; delta: number; fits: boolean } {
    const rhoN = decimalToNumber(rho);
    if (rhoN === 0) {
      return {
        epsilon: decimalToNumber(epsilon),
        delta: decimalToNumber(delta),
        fits: decimalCompare(epsilon, this.#budgetEpsilon) <= 0 && decimalCompare(delta, this.#budgetDelta) <= 0,
      };
    }
    const deltaLeft = decimalToNumber(decimalSub(this.#budgetDelta, delta));
    if (!(deltaLeft > 0)) return { epsilon: Infinity, delta: this.budget.delta, fits: false };
    const eps = decimalToNumber(epsilon) + zcdpToEpsilon(rhoN, deltaLeft);
    return { epsilon: eps, delta: this.budget.delta, fits: eps <= this.budget.epsilon };
  }

  #after(loss: PrivacyLoss | ZcdpLoss): [Decimal, Decimal, Decimal] {
    if (isZcdp(loss)) return [this.#epsilon, this.#delta, decimalAdd(this.#rho, decimalOf(loss.rho))];
    return [decimalAdd(this.#epsilon, decimalOf(loss.epsilon)), decimalAdd(this.#delta, decimalOf(loss.delta)), this.#rho];
  }

  #checkSpend(loss: unknown): PrivacyLoss | ZcdpLoss {
    const o = checkObject('loss', loss);
    if ('rho' in o && !('epsilon' in o)) {
      checkNumber('loss.rho', o.rho, { ge: 0 });
      return o as unknown as ZcdpLoss;
    }
    return checkLoss('loss', loss);
  }

  canSpend(loss: PrivacyLoss | ZcdpLoss): boolean {
    const l = this.#checkSpend(loss);
    return this.#total(...this.#after(l)).fits;
  }

  /** Records the spend, or throws `budget_exceeded` and records nothing. */
  spend(loss: PrivacyLoss | ZcdpLoss, label = ''): LedgerEntry {
    const l = this.#checkSpend(loss);
    checkString('label', label, { maxLength: 200 });
    const [e, d, r] = this.#after(l);
    const total = this.#total(e, d, r);
    if (!total.fits) {
      const spent = this.spent();
      throw new PinholeError(
        'budget_exceeded',
        'loss',
        `"loss" expected a spend within the remaining budget (spent epsilon=${spent.epsilon}, delta=${spent.delta} of epsilon=${this.budget.epsilon}, delta=${this.budget.delta}), got ${
          isZcdp(l) ? `rho=${l.rho}` : `epsilon=${l.epsilon}, delta=${l.delta}`
        }${label ? ` for "${label}"` : ''}`,
      );
    }
    [this.#epsilon, this.#delta, this.#rho] = [e, d, r];
    const entry: LedgerEntry = Object.freeze({ label, loss: Object.freeze({ ...l }), at: this.#now() });
    this.#entries.push(entry);
    return entry;
  }

  /** The total spent so far as (epsilon, delta). */
  spent(): PrivacyLoss {
    const t = this.#total(this.#epsilon, this.#delta, this.#rho);
    return { epsilon: t.epsilon, delta: t.delta };
  }

  /** What is left, for pure/approximate spends (zCDP spends are converted as described above). */
  remaining(): PrivacyLoss {
    const s = this.spent();
    return {
      epsilon: Math.max(0, decimalToNumber(decimalSub(this.#budgetEpsilon, decimalOf(s.epsilon)))),
      delta: Math.max(0, decimalToNumber(decimalSub(this.#budgetDelta, decimalOf(s.delta)))),
    };
  }

  entries(): readonly LedgerEntry[] {
    return this.#entries.slice();
  }
}
