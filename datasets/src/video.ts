/**
 * Synthetic video sessions: the streaming context of a measurement (core `StreamingContext`).
 * The real mobilebandwidth files carry none, so the marginals are calibrated on published figures
 * (every figure below was read in the source named beside it):
 *
 * - sessions with at least one rebuffering event: 6.84 % of 192,268,561 streams from six top video
 *   sites over 14 days (TubeMogul InPlay, reported by Tubular Insights, "Viewers tolerate slow
 *   video delivery load times", tubularinsights.com/viewers-tolerate-slow-video-delivery-load-times);
 * - mean rebuffering ratio: 0.78 % of viewing time (Conviva, All-Screen Streaming TV Census Q2 2018,
 *   as cited by Codavel, "High-quality video, without buffering: is it possible in a mobile app?",
 *   blog.codavel.com);
 * - startup: more than 68 % of mobile-app sessions take over 2 s to start (Codavel's measurements,
 *   "Why is mobile video streaming still a challenge?", blog.codavel.com); 2 s is where viewers
 *   start to abandon (Krishnan & Sitaraman, "Video stream quality impacts viewer behavior", IMC 2012);
 * - delivered bitrate: not calibrated to a figure (the published ones are all-screen averages: 1.74
 *   Mbit/s worldwide in 2014, Conviva Viewer Experience Report 2015 as reported by FierceVideo;
 *   "most content under 255 kbit/s" on a 3G network, Erman et al., "Over the top video: the gorilla
 *   in cellular networks", IMC 2011). A throughput-driven ladder with a per-screen cap stands in;
 *   CALIBRATION.md compares its mean with the 1.74 Mbit/s.
 *
 * Assumptions (no source): the share of measurements taken during a video session, the relative
 * rebuffering risk per network type, the correlations with the downlink, the ladder, the caps.
 * The shares are exact by construction: rebuffering and startup are thresholds of a normal latent
 * correlated with the downlink's normal score, which is N(0, 1) within each network type.
 */
import { DEVICE_CLASSES, type DeviceClass, NETWORK_TYPES, type NetworkType } from '@pinhole/core';
import { normalQuantile } from '@pinhole/core/stats';

/** Share of measurements taken during a video session (assumption). */
export const VIDEO_SESSION_SHARE = 0.3;
/** Share of video sessions with at least one rebuffering event (TubeMogul: 6.84 % of streams). */
export const VIDEO_REBUFFERING_SHARE = 0.0684;
/** Mean rebuffering ratio over all sessions (Conviva Q2 2018: 0.78 %). */
export const VIDEO_MEAN_REBUFFER_RATIO = 0.0078;
/** Share of sessions taking more than 2 s to start (Codavel, mobile apps: 68 %). */
export const VIDEO_STARTUP_OVER_2S = 0.68;
/** Spread (log-normal sigma) of the startup delay (assumption). */
export const VIDEO_STARTUP_SIGMA = 0.6;
/** Relative risk of rebuffering per network type (assumption: slower radio, more stalls). */
export const VIDEO_REBUFFERING_RISK: Readonly<Record<NetworkType, number>> = Object.freeze({ wifi: 0.8, '2g': 4, '3g': 2, '4g': 1, '5g-nsa': 0.6, '5g-sa': 0.5 });
/** Correlation of the rebuffering and startup latents with the downlink's normal score (assumption). */
export const VIDEO_DOWNLINK_CORRELATION = 0.5;
/** Bitrate ladder of the assumed adaptive-streaming service, kbit/s. */
export const VIDEO_LADDER_KBPS: readonly number[] = Object.freeze([145, 365, 730, 1100, 2000, 3000, 4500, 6000, 7800]);
/** The player picks the highest rung below this share of the measured throughput (assumption). */
export const VIDEO_THROUGHPUT_SAFETY = 0.7;
/** Highest rung a screen asks for (assumption: 480p, 720p, 1080p, 1440p, 720p), kbit/s. */
export const VIDEO_CAP_KBPS: Readonly<Record<DeviceClass, number>> = Object.freeze({ 'phone-low': 730, 'phone-mid': 2000, 'phone-high': 4500, tablet: 6000, other: 2000 });
/** Spread of the session's average around its rung, from switches within the session (assumption). */
export const VIDEO_BITRATE_SIGMA = 0.15;

/** Compiled thresholds for a network-type mix (the mix of measurements the generator expects). */
export interface VideoModel {
  /** per network type index: the rebuffering share, and the latent threshold giving it */
  readonly rebufferingShare: Float64Array;
  readonly threshold: Float64Array;
  /** mean rebuffering ratio of a session that rebuffered (exponential, capped at 1) */
  readonly stalledRatioMean: number;
  /** median startup delay, ms */
  readonly startupMedianMs: number;
  /** per device class index: the cap, kbit/s */
  readonly cap: Float64Array;
}

export function videoModel(networkMix: Readonly<Record<NetworkType, number>>): VideoModel {
  let norm = 0;
  for (const t of NETWORK_TYPES) norm += networkMix[t] * VIDEO_REBUFFERING_RISK[t];
  const share = Float64Array.from(NETWORK_TYPES, (t) => Math.min(0.5, (VIDEO_REBUFFERING_SHARE * VIDEO_REBUFFERING_RISK[t]) / norm));
  return {
    rebufferingShare: share,
    threshold: share.map((p) => normalQuantile(1 - p)),
    stalledRatioMean: VIDEO_MEAN_REBUFFER_RATIO / VIDEO_REBUFFERING_SHARE,
    // P(S > 2 s) = P(Z > ln(2000 / m) / sigma) = VIDEO_STARTUP_OVER_2S
    startupMedianMs: 2000 / Math.exp(VIDEO_STARTUP_SIGMA * normalQuantile(1 - VIDEO_STARTUP_OVER_2S)),
    cap: Float64Array.from(DEVICE_CLASSES, (k) => VIDEO_CAP_KBPS[k]),
  };
}

/** The ladder rung a throughput-driven player settles on, capped by the screen. */
export function videoRung(downlinkMbps: number, capKbps: number): number {
  const budget = Math.min(capKbps, VIDEO_THROUGHPUT_SAFETY * downlinkMbps * 1000);
  let rung = VIDEO_LADDER_KBPS[0] as number;
  for (const r of VIDEO_LADDER_KBPS) if (r <= budget) rung = r;
  return rung;
}
