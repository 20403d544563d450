/**
 * The reconciliation report as one self-contained HTML page: inline CSS and an inline SVG chart,
 * no scripts, no external files, so it opens from disk or an e-mail attachment. Pure: data in,
 * text out. Every value from the warehouse is HTML-escaped.
 */

export interface ReportPerson {
  employeeNumber: string | null;
  displayName: string;
  attendedSeconds: number;
  bookedSeconds: number;
  billableSeconds: number;
  daysNotReconciled: number;
}

export interface ReportDay {
  employeeNumber: string | null;
  displayName: string;
  workDate: string;
  attendedSeconds: number;
  bookedSeconds: number;
  differenceSeconds: number;
  status: string;
}

export interface ReportData {
  month: string;
  generatedAt: string;
  toleranceSeconds: number;
  people: ReportPerson[];
  days: ReportDay[];
}

/** null and undefined render as nothing: a missing name must not take the whole report down. */
export function escapeHtml(text: string | null | undefined): string {
  return (text ?? '').replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);
}

export function hours(seconds: number): string {
  return (seconds / 3600).toFixed(2);
}

function signedHours(seconds: number): string {
  return `${seconds > 0 ? '+' : ''}${hours(seconds)}`;
}

/** Horizontal grouped bars: attended (dark) and booked (light) hours per person. */
export function renderChart(people: ReportPerson[]): string {
  const rowHeight = 34;
  const labelWidth = 220;
  const chartWidth = 560;
  const top = 30;
  const max = people.reduce((most, p) => Math.max(most, p.attendedSeconds, p.bookedSeconds), 1);
  const scale = (seconds: number) => Math.round((seconds / max) * chartWidth);
  const height = top + people.length * rowHeight + 10;
  const bars = people
    .map((p, i) => {
      const y = top + i * rowHeight;
      return [
        `<text x="${labelWidth - 8}" y="${y + 16}" text-anchor="end" class="label">${escapeHtml(p.displayName)}</text>`,
        `<rect x="${labelWidth}" y="${y + 2}" width="${scale(p.attendedSeconds)}" height="12" class="attended"><title>${escapeHtml(p.displayName)}: ${hours(p.attendedSeconds)} h attended</title></rect>`,
        `<rect x="${labelWidth}" y="${y + 15}" width="${scale(p.bookedSeconds)}" height="12" class="booked"><title>${escapeHtml(p.displayName)}: ${hours(p.bookedSeconds)} h booked</title></rect>`,
        `<text x="${labelWidth + Math.max(scale(p.attendedSeconds), scale(p.bookedSeconds)) + 6}" y="${y + 18}" class="value">${hours(p.attendedSeconds)} / ${hours(p.bookedSeconds)} h</text>`,
      ].join('');
    })
    .join('\n');
  return `<svg id="hours-chart" role="img" aria-label="Attended versus booked hours per person" xmlns="http://www.w3.org/2000/svg" width="${labelWidth + chartWidth + 120}" height="${height}" viewBox="0 0 ${labelWidth + chartWidth + 120} ${height}">
<g class="legend"><rect x="${labelWidth}" y="4" width="12" height="12" class="attended"/><text x="${labelWidth + 18}" y="15">attended (TimeClock net)</text><rect x="${labelWidth + 200}" y="4" width="12" height="12" class="booked"/><text x="${labelWidth + 218}" y="15">booked (clockodo)</text></g>
${bars}
</svg>`;
}

export function renderReport(data: ReportData): string {
  const totals = data.people.reduce(
    (sum, p) => ({ attended: sum.attended + p.attendedSeconds, booked: sum.booked + p.bookedSeconds, billable: sum.billable + p.billableSeconds }),
    { attended: 0, booked: 0, billable: 0 },
  );
  const rows = data.days
    .map(
      (d) =>
        `<tr class="status-${escapeHtml(d.status)}"><td>${escapeHtml(d.workDate)}</td><td>${escapeHtml(d.displayName)}</td><td class="num">${hours(d.attendedSeconds)}</td><td class="num">${hours(d.bookedSeconds)}</td><td class="num">${signedHours(d.differenceSeconds)}</td><td>${escapeHtml(d.status.replace(/_/g, ' '))}</td></tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Reconciliation ${escapeHtml(data.month)} · punchcard</title>
<style>
  body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto; max-width: 1000px; color: #1d2433; padding: 0 1rem; }
  h1 { font-size: 1.5rem; margin-bottom: .2rem; } h2 { font-size: 1.1rem; margin-top: 2rem; }
  .meta { color: #5b6478; margin-top: 0; }
  .cards { display: flex; gap: 1rem; margin: 1rem 0; } .card { border: 1px solid #d9dde6; border-radius: 8px; padding: .6rem 1rem; min-width: 150px; }
  .card b { display: block; font-size: 1.3rem; }
  svg .label, svg .value, svg .legend text { font-size: 12px; fill: #1d2433; } svg .attended { fill: #2d5be3; } svg .booked { fill: #f0a33a; }
  table { border-collapse: collapse; width: 100%; } th, td { padding: .35rem .6rem; border-bottom: 1px solid #e6e8ee; text-align: left; }
  th { background: #f4f6fa; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
  tr.status-under_booked td:last-child { color: #b4541a; } tr.status-over_booked td:last-child { color: #7a3db8; }
  tr.status-no_bookings td:last-child, tr.status-no_attendance td:last-child { color: #c0262d; }
  .empty { color: #2f7d32; }
</style>
</head>
<body>
<h1>Attendance vs booked time — ${escapeHtml(data.month)}</h1>
<p class="meta">Generated ${escapeHtml(data.generatedAt)} from the punchcard warehouse. A day reconciles when booked and attended time differ by at most ${hours(data.toleranceSeconds)} h.</p>
<div class="cards">
  <div class="card">attended<b>${hours(totals.attended)} h</b></div>
  <div class="card">booked<b>${hours(totals.booked)} h</b></div>
  <div class="card">billable<b>${hours(totals.billable)} h</b></div>
  <div class="card">days to check<b>${data.days.length}</b></div>
</div>
<h2>Hours per person</h2>
${data.people.length > 0 ? renderChart(data.people) : '<p class="empty">No attendance or bookings this month.</p>'}
<h2>Days that do not reconcile</h2>
${
  data.days.length > 0
    ? `<table id="unreconciled-days">
<thead><tr><th>Day</th><th>Person</th><th>Attended h</th><th>Booked h</th><th>Difference h</th><th>Status</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>`
    : '<p class="empty">Every day reconciles.</p>'
}
</body>
</html>
`;
}
