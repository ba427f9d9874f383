/**
 * Public domains of the mobilebandwidth data: labels known without looking at any row, so a
 * release may iterate over them. The cities (cells) have no such list here: a bench run selects
 * them with DP partition selection instead.
 */

/** The three Chinese network operators the files name, by ITU-T E.212 code (see DEFAULT_OPERATOR_CODES). */
export const MOBILEBANDWIDTH_OPERATORS: readonly string[] = Object.freeze(['460-00', '460-01', '460-11']);

/**
 * China's 34 province-level divisions, in the files' pinyin convention (no tones, suffix sheng /
 * shi / zizhiqu / tebiexingzhengqu; 陕西 is written "shaanxisheng" here as in the official
 * romanization, though the files fold it into "shanxisheng"), plus "weizhi", the app's label for an
 * unknown location (PROVENANCE.md).
 */
export const MOBILEBANDWIDTH_REGIONS: readonly string[] = Object.freeze([
  'anhuisheng',
  'aomentebiexingzhengqu',
  'beijingshi',
  'chongqingshi',
  'fujiansheng',
  'gansusheng',
  'guangdongsheng',
  'guangxizhuangzuzizhiqu',
  'guizhousheng',
  'hainansheng',
  'hebeisheng',
  'heilongjiangsheng',
  'henansheng',
  'hubeisheng',
  'hunansheng',
  'jiangsusheng',
  'jiangxisheng',
  'jilinsheng',
  'liaoningsheng',
  'neimengguzizhiqu',
  'ningxiahuizuzizhiqu',
  'qinghaisheng',
  'shaanxisheng',
  'shandongsheng',
  'shanghaishi',
  'shanxisheng',
  'sichuansheng',
  'taiwansheng',
  'tianjinshi',
  'xianggangtebiexingzhengqu',
  'xinjiangweiwuerzizhiqu',
  'xizangzizhiqu',
  'yunnansheng',
  'zhejiangsheng',
  'weizhi',
]);

/** Where those lists come from, for a report. */
export const MOBILEBANDWIDTH_DOMAINS_SOURCE = Object.freeze({
  operators: 'the three Chinese network operators (ITU-T E.212 codes 460-00, 460-01, 460-11)',
  regions: 'China\'s 34 province-level divisions in the files\' pinyin, plus "weizhi" (unknown)',
});
