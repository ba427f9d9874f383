"""Golden vectors for @pinhole/gate, computed independently of the TypeScript code with mpmath at
60 significant digits. Run: python3 generate.py > gate-vectors.json"""
import json
from mpmath import mp, mpf, exp, log, expm1, besseli

mp.dps = 60


def optimal(eps, delta, l0):
    """pi(n) of Desfontaines et al. (PoPETs 2022) by the exact recursion, per-bucket (eps/l0, delta/l0)."""
    e = mpf(eps) / l0
    d = mpf(delta) / l0
    p = mpf(0)
    out = [0.0]
    while p < 1:
        p = min(exp(e) * p + d, 1 - exp(-e) * (1 - p - d), mpf(1))
        out.append(float(p))
        if len(out) > 100000:
            raise SystemExit('too long')
    return out


def dlap_tail(scale, k):
    q = exp(-1 / mpf(scale))
    if k >= 1:
        return q ** k / (1 + q)
    return 1 - q ** (1 - k) / (1 + q)


def dgauss_tail(sigma, k):
    s2 = 2 * mpf(sigma) ** 2
    lim = int(60 * sigma) + 10
    z = sum(exp(-mpf(y) ** 2 / s2) for y in range(-lim, lim + 1))
    t = sum(exp(-mpf(y) ** 2 / s2) for y in range(k, lim + 1))
    return t / z


def sk_tail(mu, k):
    x = 2 * mpf(mu)
    lim = int(float(x) + 60 * float(x) ** 0.5 + 100)
    if k >= 1:
        return sum(exp(-x) * besseli(j, x) for j in range(k, lim))
    return 1 - sum(exp(-x) * besseli(j, x) for j in range(1 - k, lim))


def threshold(tail, delta_per_bucket):
    t = 1
    while tail(t - 1) > delta_per_bucket:
        t += 1
    return t


vectors = {
    'optimal': [
        {'epsilon': eps, 'delta': delta, 'l0': l0, 'releaseProbability': optimal(eps, delta, l0)}
        for (eps, delta, l0) in [(1.0, 1e-5, 1), (0.5, 1e-8, 2), (3.0, 1e-10, 3), (0.1, 1e-6, 1)]
    ],
    'laplaceTail': [
        {'scale': s, 'k': k, 'tail': float(dlap_tail(s, k))} for s in [0.5, 1.0, 2.0, 10.0] for k in [-5, 0, 1, 3, 10, 40]
    ],
    'gaussianTail': [
        {'sigma': s, 'k': k, 'tail': float(dgauss_tail(s, k))} for s in [0.5, 1.0, 4.671875, 20.0] for k in [-5, 0, 1, 3, 10, 40, 100]
    ],
    'laplaceThreshold': [
        {'scale': s, 'deltaPerBucket': d, 'threshold': threshold(lambda k: dlap_tail(s, k), mpf(d))}
        for s in [0.5, 1.0, 2.0, 10.0] for d in [1e-5, 1e-9]
    ],
    'skellamTail': [
        {'mu': mu, 'k': k, 'tail': float(sk_tail(mu, k))} for mu in [0.25, 1.0, 12.5, 300.0] for k in [-3, 0, 1, 2, 5, 20, 60, 150]
    ],
    'gaussianThreshold': [
        {'sigma': s, 'deltaPerBucket': d, 'threshold': threshold(lambda k: dgauss_tail(s, k), mpf(d))}
        for s in [1.0, 4.671875, 20.0] for d in [1e-5, 1e-9]
    ],
}
print(json.dumps(vectors, indent=1))
