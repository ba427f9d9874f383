/** The distance from sigma down to the grid point below it on the 12-significant-bit grid calibrated sigmas use. */
export function gridStep(sigma: number): number {
  return 2 ** (Math.floor(Math.log2(sigma * (1 - 2 ** -52))) - 11);
}
