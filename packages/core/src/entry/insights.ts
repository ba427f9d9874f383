/** `@pinhole/core/insights`: the insight catalogue's details (collection kinds, error metrics, the thresholds and edges insights use). */
export {
  type InsightDomains,
  type ErrorMetric,
  type HistogramCollection,
  type MeanCollection,
  type InsightStatistic,
  ERROR_METRICS,
  POOR_DOWNLINK_MBPS,
  POOR_RSRP_DBM,
  DOWNLINK_QUANTILE_EDGES,
  VIDEO_BITRATE_EDGES,
  isPoor,
  checkInsightDomains,
} from '../insights.js';
