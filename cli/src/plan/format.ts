/** Text rendering of plan reports: aligned tables, money with two decimals. */
import type { CostLine } from './cost.js';
import type { ChangeSafetySection, PlanReport } from './report.js';
import { describeRoute } from './services.js';
import type { PlanSummary } from './summary.js';

export const usd = (n: number) => `$${n.toFixed(2)}`;

export function minutes(seconds: number): string {
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds % 60);
  return m === 0 ? `${s}s` : `${m}m ${String(s).padStart(2, '0')}s`;
}

/** Left-aligned columns, except those listed in `right` (numbers, money). */
export function table(rows: readonly (readonly string[])[], right: readonly number[] = []): string[] {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length))) ?? [];
  return rows.map((r) =>
    r
      .map((cell, c) => (right.includes(c) ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
      .join('  ')
      .trimEnd(),
  );
}

/** Identical items in one stack (ten alarms) read better as one line. */
function groupLines(lines: readonly CostLine[]): CostLine[] {
  const groups = new Map<string, CostLine>();
  for (const l of lines) {
    const key = [l.stack, l.item, l.unit, l.unitPrice, l.kind, l.assumption].join('|');
    const seen = groups.get(key);
    groups.set(
      key,
      seen ? { ...seen, quantity: seen.quantity + l.quantity, monthly: seen.monthly + l.monthly } : l,
    );
  }
  return [...groups.values()];
}

function wrap(items: readonly string[], width = 108): string[] {
  const out: string[] = [];
  let current = ' ';
  for (const item of items) {
    if (current.length + item.length + 2 > width) {
      out.push(current.replace(/,$/, ''));
      current = ' ';
    }
    current += ` ${item},`;
  }
  if (current.trim()) out.push(current.replace(/,$/, ''));
  return out;
}

const short = (stack: string) => stack.replace(/^Berth-[A-Za-z]+-[a-z0-9-]+-(?=[A-Z])/, '');

export function renderPlan(report: PlanReport): string {
  const { summary, cost, deployTime } = report;
  const s = summary.sizing;
  const out: string[] = [`berth plan ${report.env} (${report.region})`, ''];

  out.push('Stacks');
  out.push(
    ...table(
      [
        ['  stack', 'region', 'resources'],
        ...summary.stacks.map((x) => [`  ${x.name}`, x.region, String(x.resources)]),
      ],
      [2],
    ),
  );
  out.push('', 'Resources by tier');
  out.push(
    ...table(
      Object.entries(summary.tiers).map(([tier, n]) => [`  ${tier}`, String(n)]),
      [1],
    ),
  );

  out.push('', 'Reachable from the internet');
  if (summary.exposure.length === 0) out.push('  nothing');
  out.push(
    ...table(
      summary.exposure.map((e) => [
        `  ${e.protocol} ${e.ports}`,
        `from ${e.source}`,
        e.attachedTo.length > 0
          ? e.attachedTo.join(', ')
          : `${e.securityGroup} (not attached in these stacks)`,
      ]),
    ),
  );

  out.push('', 'Sizing');
  out.push(
    ...table([
      ['  instances', `${s.instanceType ?? '?'} × ${s.minInstances ?? '?'}–${s.maxInstances ?? '?'}`],
      [
        '  database',
        `${s.dbClass ?? '?'}, ${s.dbMultiAz ? 'Multi-AZ' : 'single-AZ'}, ${s.dbStorageGiB ?? '?'} GiB (auto-grows to ${s.dbMaxStorageGiB ?? '-'})`,
      ],
      [
        '  network',
        `${s.availabilityZones.length} AZs (${s.availabilityZones.join(', ')}), ${s.natGateways} NAT gateway(s)`,
      ],
      ['  listeners', s.listeners.join(', ') || 'none'],
    ]),
  );

  out.push('', ...renderServices(summary));

  out.push('', `Monthly cost (${cost.hoursPerMonth} h/month; prices ${cost.priceDate}: ${cost.priceSource})`);
  const rows = groupLines(cost.lines)
    .sort((a, b) => (a.kind === b.kind ? b.monthly - a.monthly : a.kind === 'floor' ? -1 : 1))
    .map((l) => [
      `  ${l.item}`,
      short(l.stack),
      `${+l.quantity.toFixed(4)} ${l.unit} × $${l.unitPrice}`,
      usd(l.monthly),
      l.kind === 'usage' ? `usage: ${l.assumption ?? ''}` : (l.assumption ?? ''),
    ]);
  out.push(...table([['  item', 'stack', 'quantity × price', 'monthly', 'note'], ...rows], [3]));
  out.push(
    '',
    ...table(
      [
        ['  floor (idle, minimum size)', usd(cost.floorMonthly)],
        ['  usage (assumptions above)', usd(cost.usageMonthly)],
        ['  total', usd(cost.totalMonthly)],
      ],
      [1],
    ),
  );
  if (cost.notPriced.length > 0) {
    out.push('', 'Not priced (not included in the totals)');
    out.push(
      ...table(cost.notPriced.map((n) => [`  ${n.type}`, `${short(n.stack)}/${n.logicalId}`, n.reason])),
    );
  }
  out.push(
    '',
    'Free (no charge by themselves)',
    ...wrap(cost.free.map((f) => `${f.type.replace(/^AWS::/, '')} ×${f.count}`)),
  );

  if (report.savings.length > 0) {
    out.push(
      '',
      'Could save (price table deltas, each change checked by validateEnvironment; not re-synthesized)',
    );
    out.push(
      ...table(
        report.savings.map((x) => [
          `  ${x.change}`,
          `-${usd(x.monthly)}/month`,
          x.blockedBy ? `not allowed: ${x.blockedBy}` : x.tradeOff,
        ]),
        [1],
      ),
    );
  }

  if (deployTime) {
    const { estimate: e, ecsPatternsDefaults: base, assumptions: a } = deployTime;
    out.push(
      '',
      `ECS deployment alone (${e.inputs.strategy}, ${e.inputs.tasks} task(s), min ${e.inputs.minHealthyPercent}% / max ${e.inputs.maxPercent}%)`,
    );
    out.push(`  deploy    ~${minutes(e.deploySeconds)}: ${e.deployFormula}`);
    out.push(`  automatic rollback ~${minutes(e.rollbackSeconds)}: ${e.rollbackFormula}`);
    out.push(`  ecs-patterns defaults ~${minutes(base.deploySeconds)}: ${base.deployFormula}`);
    out.push(
      `  assumed: start ${a.startupSeconds}s (placement + cached image pull + node start) on existing capacity; ` +
        `traffic shift ${a.trafficShiftSeconds}s; if the group has no room for the extra tasks, add an instance launch (~2-4 min)`,
    );
  }
  const t = report.timeline;
  out.push('', 'Deploy time, whole berth flow in this region (berth deploy / berth rollback)');
  out.push(
    `  first create  ~${t.firstCreateMinutes} min (default --timeout ${t.suggestedTimeoutMinutes.firstCreate}m)`,
  );
  for (const s of t.firstCreate)
    out.push(`    ${short(s.stackName)}: ~${Math.ceil(s.minutes)} min (${s.why})`);
  out.push(`  update          ${t.updateFormula} (default --timeout ${t.suggestedTimeoutMinutes.update}m)`);
  out.push(`  berth rollback  ${t.rollbackFormula}`);
  if (report.changeSafety) out.push('', renderChangeSafety(report.changeSafety));
  out.push('', report.deployedDiff);
  return `${out.join('\n')}\n`;
}

/** Each service with its kind, route, task counts and size, then what their minimum tasks need. */
export function renderServices(summary: PlanSummary): string[] {
  const out = ['Services'];
  if (summary.services.length === 0) return [...out, '  none'];
  out.push(
    ...table(
      summary.services.map((s) => [
        `  ${s.name}`,
        s.kind,
        s.kind === 'web'
          ? `${s.routes.map(describeRoute).join(', ') || 'no route'} → port ${s.port ?? '?'}, ` +
            `${s.targetGroups} target group(s)`
          : 'no inbound traffic',
        `${s.minTasks ?? '?'}–${s.maxTasks ?? '?'} tasks × ${s.taskCpu ?? '?'} CPU / ${s.taskMemoryMiB ?? '?'} MiB`,
      ]),
    ),
  );
  const c = summary.capacity;
  const s = summary.sizing;
  if (c) {
    out.push(
      `  at minimum: ${c.cpu} CPU / ${c.memoryMiB} MiB → at least ${c.instancesNeeded} × ${s.instanceType} ` +
        `(${c.instanceCpu} CPU / ${c.instanceMemoryMiB} MiB each); ASG minimum ${s.minInstances ?? '?'}`,
    );
  }
  return out;
}

export function renderComparison(reports: readonly PlanReport[]): string {
  const header = ['  ', ...reports.map((r) => `${r.env} (${r.region})`)];
  const row = (label: string, f: (r: PlanReport) => string) => [`  ${label}`, ...reports.map(f)];
  const cols = reports.map((_, i) => i + 1);
  const out = ['berth plan --compare', ''];
  out.push(
    ...table(
      [
        header,
        row(
          'instances',
          (r) =>
            `${r.summary.sizing.instanceType} × ${r.summary.sizing.minInstances}–${r.summary.sizing.maxInstances}`,
        ),
        row('tasks', (r) =>
          r.summary.services.map((s) => `${s.name} ${s.minTasks ?? '?'}–${s.maxTasks ?? '?'}`).join(', '),
        ),
        row('database', (r) => `${r.summary.sizing.dbClass}${r.summary.sizing.dbMultiAz ? ' Multi-AZ' : ''}`),
        row('NAT gateways', (r) => String(r.summary.sizing.natGateways)),
        row('deploy', (r) =>
          r.deployTime
            ? `~${minutes(r.deployTime.estimate.deploySeconds)} ${r.deployTime.estimate.inputs.strategy}`
            : '-',
        ),
        row('floor / month', (r) => usd(r.cost.floorMonthly)),
        row('usage / month', (r) => usd(r.cost.usageMonthly)),
        row('total / month', (r) => usd(r.cost.totalMonthly)),
        row('not priced', (r) => String(r.cost.notPriced.length)),
      ],
      cols,
    ),
  );
  for (const r of reports.filter((x) => x.savings.length > 0)) {
    out.push(
      '',
      `${r.env} could save (price table deltas, each change checked by validateEnvironment; not re-synthesized)`,
    );
    out.push(
      ...table(
        r.savings.map((x) => [
          `  ${x.change}`,
          `-${usd(x.monthly)}/month`,
          x.blockedBy ? `not allowed: ${x.blockedBy}` : x.tradeOff,
        ]),
        [1],
      ),
    );
  }
  return `${out.join('\n')}\n`;
}

/** Loud on purpose: a finding means the deploy would fail halfway or lose state. */
export function renderChangeSafety(section: ChangeSafetySection): string {
  const against = {
    cloudformation: 'the deployed stacks (CloudFormation)',
    recorded: 'the templates the last deploy recorded (.berth/deployed; --diff asks CloudFormation)',
    none: 'nothing: no deployed stacks recorded (first deploy, or use --diff with credentials)',
  }[section.against];
  const out = [`Change safety, against ${against}`];
  if (section.findings.length === 0) out.push('  ✓ no unsafe change found');
  for (const f of section.findings) {
    out.push(`  ✗ UNSAFE ${f.id}`, `      ${f.message}`, `      fix: ${f.fix}`);
  }
  if (section.findings.length > 0) {
    out.push(
      `  berth deploy refuses these; to accept one deliberately: berth deploy <env> --allow-change <id>`,
    );
  }
  for (const w of section.configWarnings) out.push(`  ! ${w}`);
  return out.join('\n');
}
