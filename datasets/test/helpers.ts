/** Two-sided normal quantile for a false-failure rate of 1e-5 per check. */
export const Z_1E5 = 4.42;
