// Turns the results of a run into the printed tables and the list of targets.
import { WORKFLOW_STEPS } from './durable.mjs';

const number = (value) => (value === undefined || value === null ? '' : Math.round(value).toLocaleString('en-US'));
const ratio = (value) => (value === undefined || value === null ? '' : value.toFixed(2));
const latency = (result) => `${result.p50Ms} / ${result.p95Ms} / ${result.p99Ms}`;

/**
 * The rows of the main table: the results key, a label, the unit, how to print a result,
 * and the rate to compare with the batched ceiling (PostgreSQL only), if the figure is one.
 */
function benchmarkRows(sizes) {
  return [
    { key: 'enqueue', label: 'enqueue(), one job per call', unit: 'jobs/s', show: (r) => number(r.jobsPerSecond), rate: (r) => r.jobsPerSecond },
    { key: 'enqueueMany', label: `enqueueMany(), batches of ${number(sizes.enqueueBatch)}`, unit: 'jobs/s', show: (r) => number(r.jobsPerSecond), rate: (r) => r.jobsPerSecond },
    { key: 'drain10', label: 'drain, 1 process, concurrency 10', unit: 'jobs/s', show: (r) => number(r.jobsPerSecond), rate: (r) => r.jobsPerSecond },
    { key: 'drain100', label: 'drain, 1 process, concurrency 100', unit: 'jobs/s', show: (r) => number(r.jobsPerSecond), rate: (r) => r.jobsPerSecond },
    {
      key: 'drainProcesses',
      label: `drain, ${sizes.processes} processes x concurrency ${sizes.processConcurrency}`,
      unit: 'jobs/s',
      show: (r) => number(r.jobsPerSecond),
      rate: (r) => r.jobsPerSecond,
    },
    { key: 'latencyInProcess', label: 'enqueue-to-start, same process', unit: 'ms p50/p95/p99', show: latency },
    { key: 'latencyAcrossProcesses', label: 'enqueue-to-start, other process', unit: 'ms p50/p95/p99', show: latency },
    {
      key: 'latencyInProcess',
      pick: (r) => r.commitFloor,
      label: 'one committed INSERT into the jobs table, no library',
      unit: 'ms p50/p95/p99',
      show: latency,
    },
    {
      key: 'workflows',
      label: `${WORKFLOW_STEPS}-step ctx.call workflows, concurrency ${sizes.concurrency}`,
      unit: 'steps/s',
      show: (r) => number(r.stepsPerSecond),
      rate: (r) => r.stepsPerSecond,
    },
    {
      key: 'fanOut',
      label: `fan-out of ${number(sizes.fanOutChildren)} sub-jobs, enqueue to parent done`,
      unit: 's',
      show: (r) => r.seconds.toFixed(2),
      rate: (r) => r.children / r.seconds,
    },
    {
      key: 'scaleSmall',
      label: `drain ${number(sizes.scaleSmall)} of ${number(sizes.scaleSmall)} pending rows`,
      unit: 'jobs/s',
      show: (r) => number(r.jobsPerSecond),
      rate: (r) => r.jobsPerSecond,
    },
    {
      key: 'scaleLarge',
      label: `drain ${number(sizes.scaleSmall)} of ${largeLabel(sizes)} pending rows`,
      unit: 'jobs/s',
      show: (r) => number(r.jobsPerSecond),
      rate: (r) => r.jobsPerSecond,
    },
    { key: 'rss', label: `peak RSS of a worker process draining ${number(sizes.rssJobs)} jobs`, unit: 'MB', show: (r) => number(r.peakRssMb) },
  ];
}

function largeLabel(sizes) {
  if (sizes.scaleLarge === sizes.scaleLargeSqlite) return number(sizes.scaleLarge);
  return `${number(sizes.scaleLarge)} (SQLite ${number(sizes.scaleLargeSqlite)})`;
}

/** Returns the part of a result that a row prints: the whole result unless the row picks one. */
function pickFigure(result, pick) {
  if (!result || result.error || !pick) return result;
  return pick(result);
}

function cell(result, show) {
  if (!result) return '';
  if (result.error) return 'failed';
  return show(result);
}

/** Pads the columns of `rows` (arrays of strings) into lines; the first row is the header. */
function formatTable(rows, rightAligned) {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  const line = (row) =>
    row.map((text, column) => (rightAligned.includes(column) ? text.padStart(widths[column]) : text.padEnd(widths[column]))).join('  ');
  return [line(rows[0]), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

function verdict(met) {
  if (met === null) return 'not measured';
  return met ? 'yes' : 'no';
}

/** Returns the jobs/s of the batched raw SQL ceiling, or null when it was not measured. */
export function batchedCeiling(results) {
  return results.ceiling?.claim20?.jobsPerSecond ?? null;
}

export function formatResults(results, sizes) {
  const ceiling = batchedCeiling(results);
  const header = ['benchmark', 'unit', 'SQLite', 'PostgreSQL', 'PG / ceiling'];
  const rows = [header];
  for (const row of benchmarkRows(sizes)) {
    const sqlite = pickFigure(results.sqlite?.[row.key], row.pick);
    const postgres = pickFigure(results.postgres?.[row.key], row.pick);
    if (!sqlite && !postgres) continue;
    const share = ceiling && row.rate && postgres && !postgres.error ? ratio(row.rate(postgres) / ceiling) : '';
    rows.push([row.label, row.unit, cell(sqlite, row.show), cell(postgres, row.show), share]);
  }
  if (results.ceiling?.error) rows.push(['raw SQL ceiling', 'jobs/s', '', 'failed', '']);
  for (const [name, run] of Object.entries(results.ceiling?.error ? {} : (results.ceiling ?? {}))) {
    const label = name === 'claim1' ? 'raw SQL: claim 1 + complete 1 per transaction' : 'raw SQL: claim 20 + complete 20 per round';
    rows.push([`${label}, ${run.clients} clients`, 'jobs/s', '', number(run.jobsPerSecond), ceiling ? ratio(run.jobsPerSecond / ceiling) : '']);
  }
  const sections = [formatTable(rows, [2, 3, 4])];

  if (results.peers) {
    const peerRows = [['peer', 'setting', 'drain jobs/s', 'enqueue jobs/s', 'drain / ceiling', 'latency ms p50/p95']];
    for (const peer of Object.values(results.peers)) {
      if (peer.error) {
        peerRows.push([peer.peer, peer.setting, 'failed', '', '', '']);
      } else if (peer.mode === 'throughput') {
        const share = ceiling ? ratio(peer.processPerSec / ceiling) : '';
        peerRows.push([peer.peer, peer.setting, number(peer.processPerSec), number(peer.enqueuePerSec), share, '']);
      } else {
        peerRows.push([peer.peer, peer.setting, '', '', '', `${peer.p50ms} / ${peer.p95ms}`]);
      }
    }
    sections.push(formatTable(peerRows, [2, 3, 4, 5]));
  }

  const targetRows = [['target', 'measured', 'met']];
  for (const target of evaluateTargets(results)) {
    targetRows.push([target.target, target.measured, verdict(target.met)]);
  }
  sections.push(formatTable(targetRows, []));
  return sections.join('\n\n');
}

/** Checks the figures against the project's performance targets; met is null when a figure is missing. */
export function evaluateTargets(results) {
  const ceiling = batchedCeiling(results);
  const figure = (dialect, key) => {
    const result = results[dialect]?.[key];
    return result && !result.error ? result : null;
  };
  const targets = [];
  const add = (target, measured, met) => targets.push({ target, measured: measured ?? 'not measured', met: measured === null ? null : met });

  const drain100 = figure('postgres', 'drain100');
  add(
    'PostgreSQL drain, 1 process, concurrency 100 >= 0.8 x batched raw SQL ceiling',
    drain100 && ceiling ? `${number(drain100.jobsPerSecond)} jobs/s = ${ratio(drain100.jobsPerSecond / ceiling)} x ${number(ceiling)}` : null,
    drain100 && ceiling ? drain100.jobsPerSecond >= 0.8 * ceiling : null,
  );
  const graphile = results.peers?.['graphile-local-queue'];
  const graphileRate = graphile && !graphile.error ? graphile.processPerSec : null;
  add(
    'PostgreSQL drain, 1 process, concurrency 100 >= graphile-worker, local queue 200 + batched completion',
    drain100 && graphileRate ? `${number(drain100.jobsPerSecond)} vs ${number(graphileRate)} jobs/s` : null,
    drain100 && graphileRate ? drain100.jobsPerSecond >= graphileRate : null,
  );
  for (const dialect of ['sqlite', 'postgres']) {
    const name = dialect === 'sqlite' ? 'SQLite' : 'PostgreSQL';
    const inProcess = figure(dialect, 'latencyInProcess');
    const floor = inProcess?.commitFloor ? ` (one committed INSERT: ${inProcess.commitFloor.p50Ms} ms)` : '';
    add(`${name} enqueue-to-start p50, same process < 1 ms`, inProcess ? `${inProcess.p50Ms} ms${floor}` : null, inProcess ? inProcess.p50Ms < 1 : null);
    const across = figure(dialect, 'latencyAcrossProcesses');
    add(`${name} enqueue-to-start p50, other process < 5 ms`, across ? `${across.p50Ms} ms` : null, across ? across.p50Ms < 5 : null);
  }
  const enqueueMany = figure('postgres', 'enqueueMany');
  add('PostgreSQL enqueueMany >= 50,000 jobs/s', enqueueMany ? `${number(enqueueMany.jobsPerSecond)} jobs/s` : null, enqueueMany ? enqueueMany.jobsPerSecond >= 50_000 : null);
  const sqliteDrain = figure('sqlite', 'drain100');
  add('SQLite drain, 1 process, concurrency 100 >= 10,000 jobs/s', sqliteDrain ? `${number(sqliteDrain.jobsPerSecond)} jobs/s` : null, sqliteDrain ? sqliteDrain.jobsPerSecond >= 10_000 : null);
  for (const dialect of ['sqlite', 'postgres']) {
    const name = dialect === 'sqlite' ? 'SQLite' : 'PostgreSQL';
    const small = figure(dialect, 'scaleSmall');
    const large = figure(dialect, 'scaleLarge');
    add(
      `${name} drain with the large backlog >= 0.8 x drain with the small one`,
      small && large
        ? `${number(large.jobsPerSecond)} jobs/s with ${number(large.backlog)} rows vs ${number(small.jobsPerSecond)} with ${number(small.backlog)} = ${ratio(large.jobsPerSecond / small.jobsPerSecond)}`
        : null,
      small && large ? large.jobsPerSecond >= 0.8 * small.jobsPerSecond : null,
    );
    const rss = figure(dialect, 'rss');
    add(`${name} peak RSS while draining < 200 MB`, rss ? `${rss.peakRssMb} MB over ${number(rss.jobs)} jobs` : null, rss ? rss.peakRssMb < 200 : null);
  }
  return targets;
}
