/**
 * The bureau dashboard: sign in with a token, see the year's aid by program, filter, switch yuan/万元,
 * export the table, compare with a published report; auditors also see the verification status, and
 * auditors and admins how many students are due for erasure (retention ended).
 * Every figure comes from the API as exact decimal strings; nothing here does arithmetic on money
 * except summing for a chart's scale.
 */
import * as echarts from 'echarts';

interface Amount {
  yuan: string;
  wanYuan: string;
}
interface TotalsRow {
  programCode: string;
  programName?: { zh: string; en: string };
  fiscalYear: number;
  group?: Record<string, string>;
  net: { personTimes: number; students: number; amount: Amount };
}

const $ = <T extends HTMLElement = HTMLElement>(selector: string) => document.querySelector(selector) as T;
const STAGE_NAMES: Record<string, string> = {
  preschool: '学前', primary: '小学', junior: '初中', senior: '高中', secondary_vocational: '中职',
  higher_vocational: '高职', undergraduate: '本科', postgraduate: '研究生',
};

let token = sessionStorage.getItem('ledger-token') ?? '';
let unit: 'yuan' | 'wan' = 'yuan';
let lastRows: TotalsRow[] = [];
const charts: Record<string, echarts.ECharts> = {};

async function api(path: string, accept = 'application/json'): Promise<Response> {
  const response = await fetch(path, { headers: { Authorization: `Bearer ${token}`, Accept: accept } });
  if (!response.ok) {
    const problem = await response.json().catch(() => ({ detail: response.statusText }));
    throw new Error(`${response.status}: ${problem.detail ?? problem.title}`);
  }
  return response;
}

/** "1128875.00" → "1,128,875.00"; exact, from the decimal string. */
function thousands(decimal: string): string {
  const [whole, fraction] = decimal.split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return fraction === undefined ? grouped : `${grouped}.${fraction}`;
}
const shown = (amount: Amount) => thousands(unit === 'yuan' ? amount.yuan : amount.wanYuan);

function filters(): URLSearchParams {
  const params = new URLSearchParams();
  const set = (key: string, value: string) => value.trim() && params.set(key, value.trim());
  set('fiscalYear', $<HTMLInputElement>('#fiscal-year').value);
  set('period', $<HTMLSelectElement>('#period').value);
  set('stage', $<HTMLSelectElement>('#stage').value);
  set('schoolCode', $<HTMLInputElement>('#school').value);
  return params;
}

function renderTable(rows: TotalsRow[]) {
  $('#amount-header').textContent = unit === 'yuan' ? '金额（元）Amount' : '金额（万元）Amount';
  const body = $('#totals tbody');
  body.replaceChildren(
    ...rows.map((row) => {
      const tr = document.createElement('tr');
      tr.dataset.program = row.programCode;
      tr.innerHTML = `<td>${row.programName?.zh ?? row.programCode}<br><small>${row.programName?.en ?? ''}</small></td>
        <td class="num">${row.net.students.toLocaleString('en-US')}</td>
        <td class="num">${row.net.personTimes.toLocaleString('en-US')}</td>
        <td class="num amount">${shown(row.net.amount)}</td>`;
      return tr;
    }),
  );
  $('#totals tfoot').innerHTML = rows.length === 0 ? '<tr><td colspan="4">没有数据 No aid recorded for these filters</td></tr>' : '';
}

function chart(id: string, title: string, labels: string[], values: number[]) {
  const element = $(`#${id}`);
  charts[id] ??= echarts.init(element);
  charts[id].setOption(
    {
      title: { text: title, textStyle: { fontSize: 13 } },
      tooltip: {},
      grid: { left: 80, right: 20, bottom: 60, top: 40 },
      xAxis: { type: 'category', data: labels, axisLabel: { rotate: labels.length > 4 ? 30 : 0, fontSize: 10 } },
      yAxis: { type: 'value', name: unit === 'yuan' ? '元' : '万元' },
      series: [{ type: 'bar', data: values, itemStyle: { color: '#2f6ea6' } }],
    },
    true,
  );
  // For people and tests alike: what the chart adds up to.
  element.dataset.total = values.reduce((sum, value) => sum + value, 0).toFixed(2);
}

/** Chart scale only: the exact figures are in the table. */
const scale = (amount: Amount) => Number(unit === 'yuan' ? amount.yuan : amount.wanYuan);

function sumBy(rows: TotalsRow[], key: string): [string[], number[]] {
  const sums = new Map<string, number>();
  for (const row of rows) {
    const label = row.group?.[key] ?? '';
    sums.set(label, (sums.get(label) ?? 0) + scale(row.net.amount));
  }
  const entries = [...sums.entries()].sort((a, b) => b[1] - a[1]).slice(0, 12);
  return [entries.map(([label]) => (key === 'stage' ? `${STAGE_NAMES[label] ?? label}` : label)), entries.map(([, value]) => value)];
}

async function loadTotals() {
  const params = filters();
  const [all, byPeriod, byStage, bySchool] = await Promise.all(
    ['', 'period', 'stage', 'school'].map(async (groupBy) => {
      const query = new URLSearchParams(params);
      if (groupBy) query.set('groupBy', groupBy);
      return ((await (await api(`/totals?${query}`)).json()) as { totals: TotalsRow[] }).totals;
    }),
  );
  lastRows = all.filter((row) => row.net.personTimes !== 0 || row.net.amount.yuan !== '0.00');
  renderTable(lastRows);
  chart('chart-program', '按项目 By program', lastRows.map((row) => row.programName?.zh ?? row.programCode), lastRows.map((row) => scale(row.net.amount)));
  chart('chart-period', '按学期 By term', ...sumBy(byPeriod, 'period'));
  chart('chart-stage', '按学段 By stage', ...sumBy(byStage, 'stage'));
  chart('chart-school', '按学校 By school (top 12)', ...sumBy(bySchool, 'school'));
}

async function download(format: 'csv' | 'xlsx') {
  const response = await api(`/totals?${filters()}&format=${format}`, format === 'csv' ? 'text/csv' : 'application/octet-stream');
  const link = document.createElement('a');
  link.href = URL.createObjectURL(await response.blob());
  link.download = `totals-${$<HTMLInputElement>('#fiscal-year').value || 'all'}.${format}`;
  link.click();
  URL.revokeObjectURL(link.href);
}

async function loadReconciliation() {
  const select = $<HTMLSelectElement>('#report');
  if (select.options.length === 0) {
    const { reports } = (await (await api('/reports')).json()) as { reports: Array<{ id: string; title: { zh: string } }> };
    select.replaceChildren(...reports.map((report) => new Option(report.title.zh, report.id)));
  }
  if (!select.value) return;
  const result = await (await api(`/reports/${encodeURIComponent(select.value)}/reconciliation`)).json();
  $('#reconciliation tbody').replaceChildren(
    ...result.lines.map((line: { lineId: string; status: string; reasons: string[]; declared: Record<string, unknown>; ledger?: Record<string, unknown> }) => {
      const tr = document.createElement('tr');
      tr.className = line.status;
      const declaredCount = line.declared.count === undefined ? '' : `${line.declared.countAtLeast ? '≥' : ''}${line.declared.count}`;
      tr.innerHTML = `<td>${line.lineId}</td><td class="num">${declaredCount}</td><td class="num">${line.ledger?.persons ?? ''}</td>
        <td class="num">${line.declared.amountWanYuan ?? ''}</td><td class="num">${line.ledger?.amountWanYuan ?? ''}</td>
        <td>${line.status}</td><td><small></small></td>`;
      tr.querySelector('small')!.textContent = line.reasons.join('; ');
      return tr;
    }),
  );
}

async function loadAudit() {
  const [report, digests] = await Promise.all([(await api('/audit/verify')).json(), (await api('/audit/digests')).json()]);
  $('#verification').textContent = report.ok
    ? `✔ 已验证 Verified: ${report.eventsChecked} events, ${report.digestsChecked} signed digests, root ${report.rootHash.slice(0, 16)}…`
    : `✘ 未通过 NOT verified: ${report.firstProblem.kind} at position ${report.firstProblem.position}`;
  $('#digest').textContent = JSON.stringify(digests.digests.at(-1) ?? null, null, 2);
}

/** The count only (no student named): the list is GET /personal-data/retention-due, the erasure `npm run cli -- retention --erase`. */
async function loadRetentionTile() {
  const { due, today } = (await (await api('/personal-data/retention-due/count')).json()) as { due: number; today: string };
  const tile = $('#retention-tile');
  $('#retention-due').textContent = due.toLocaleString('en-US');
  tile.dataset.today = today;
  tile.hidden = false;
}

function show(view: string) {
  for (const name of ['totals', 'reconciliation', 'audit']) $(`#${name}-view`).hidden = name !== view;
  document.querySelectorAll('nav button').forEach((button) => button.classList.toggle('active', (button as HTMLElement).dataset.view === view));
  const load = view === 'totals' ? loadTotals : view === 'reconciliation' ? loadReconciliation : loadAudit;
  load().catch((error: Error) => alert(error.message));
}

async function signIn() {
  const me = await (await api('/me')).json();
  sessionStorage.setItem('ledger-token', token);
  $('#who').textContent = `${me.userId} · ${me.role}`;
  $('#sign-in').hidden = true;
  $('#app').hidden = false;
  $('#sign-out').hidden = false;
  $('#audit-tab').hidden = me.role !== 'auditor';
  if (me.role === 'auditor' || me.role === 'admin') {
    loadRetentionTile().catch((error: Error) => {
      $('#retention-due').textContent = `? (${error.message})`;
      $('#retention-tile').hidden = false;
    });
  }
  if (me.role === 'admin') {
    // An admin manages users and personal data, and reads no aid: no totals to load (they would be 403).
    $('nav').hidden = true;
    for (const name of ['totals', 'reconciliation', 'audit']) $(`#${name}-view`).hidden = true;
    $('#admin-view').hidden = false;
    return;
  }
  await loadTotals();
}

$('#sign-in-form').addEventListener('submit', (event) => {
  event.preventDefault();
  token = $<HTMLInputElement>('#token').value.trim();
  signIn().catch((error: Error) => ($('#sign-in-error').textContent = `登录失败 Sign-in failed: ${error.message}`));
});
$('#sign-out').addEventListener('click', () => {
  sessionStorage.removeItem('ledger-token');
  location.reload();
});
$('#filters').addEventListener('change', () => void loadTotals().catch((error: Error) => alert(error.message)));
document.querySelectorAll<HTMLButtonElement>('.unit button').forEach((button) =>
  button.addEventListener('click', () => {
    unit = button.dataset.unit as 'yuan' | 'wan';
    document.querySelectorAll('.unit button').forEach((other) => other.classList.toggle('active', other === button));
    void loadTotals();
  }),
);
$('#export-csv').addEventListener('click', () => void download('csv'));
$('#export-xlsx').addEventListener('click', () => void download('xlsx'));
document.querySelectorAll<HTMLButtonElement>('nav button').forEach((button) => button.addEventListener('click', () => show(button.dataset.view!)));
$('#report').addEventListener('change', () => void loadReconciliation());
window.addEventListener('resize', () => Object.values(charts).forEach((instance) => instance.resize()));

if (token) signIn().catch(() => sessionStorage.removeItem('ledger-token'));
