// The dashboard: every figure comes from this server's /v1 API (no other origin). A figure's element
// carries data-figure (its name) and, once filled, data-value (the API's decimal string, base units) so
// a test can read it; each chart's series (as the API gave them) are in window.dashboard.charts.
"use strict";

const DECIMALS = { IO: 18, USDC: 6, USD: 6 };
const COLORS = {
  revenue: "#1f9d55",
  emission: "#d9822b",
  owed: "#5b6ee1",
  neutral: "#7a8599",
  cats: ["#5b6ee1", "#d9822b", "#1f9d55", "#c2417a", "#2a9bb7", "#8a63d2", "#b59f1a"],
};
const dashboard = (window.dashboard = { charts: {}, figures: {}, ready: false });

// ---- formatting: exact, from decimal strings (BigInt), truncated to `digits` fraction digits
function groupThousands(s) {
  return s.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}
function formatUnits(value, decimals, digits) {
  let v = BigInt(value);
  const neg = v < 0n;
  if (neg) v = -v;
  const base = 10n ** BigInt(decimals);
  const whole = groupThousands((v / base).toString());
  let out = whole;
  if (digits > 0) {
    const frac = (v % base).toString().padStart(decimals, "0").slice(0, digits);
    out += "." + frac;
  }
  return (neg ? "-" : "") + out;
}
function formatBps(bps) {
  const v = BigInt(bps);
  return `${v / 100n}.${(v % 100n).toString().padStart(2, "0")}%`;
}
function formatTime(t) {
  return new Date(Number(t) * 1000).toISOString().slice(0, 10);
}
function toNumber(value, decimals) {
  return Number(BigInt(value)) / 10 ** decimals;
}

function formatFigure(kind, value) {
  if (value === null || value === undefined) return "n/a";
  switch (kind) {
    case "IO":
      return formatUnits(value, 18, 2) + " IO";
    case "USDC":
      return formatUnits(value, 6, 6) + " USDC";
    case "USD":
      return "$" + formatUnits(value, 6, 2);
    case "bps":
      return formatBps(value);
    case "seconds":
      return groupThousands(String(value)) + " s";
    case "time":
      return formatTime(value);
    default:
      return groupThousands(String(value));
  }
}

function setFigure(name, value) {
  const el = document.querySelector(`[data-figure="${name}"]`);
  if (!el) throw new Error(`no element for figure ${name}`);
  const v = value === null || value === undefined ? "" : String(value);
  el.dataset.value = v;
  el.textContent = formatFigure(el.dataset.kind, value);
  dashboard.figures[name] = v;
}

async function api(path) {
  const r = await fetch(path, { headers: { Accept: "application/json" } });
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
  return r.json();
}

// ---- charts
function chart(name, config, series) {
  dashboard.charts[name] = series;
  const canvas = document.querySelector(`canvas[data-chart="${name}"]`);
  canvas.dataset.points = String(series.labels.length);
  config.options = Object.assign({ responsive: true, maintainAspectRatio: false, animation: false }, config.options);
  return new Chart(canvas, config);
}

function verdictOf(bps) {
  if (bps === null || bps === undefined) return ["none", "No IDE epoch has been stated yet"];
  if (bps >= 10000) return ["revenue", "Revenue pays the providers: fees cover every reward owed"];
  if (bps >= 5000) return ["mixed", "Revenue pays most of the rewards; emission pays the rest"];
  return ["emission", "Emission pays most of the rewards; fees cover the smaller part"];
}

async function main() {
  const [status, supply, outlook, ide, network, priceView] = await Promise.all([
    api("/v1/status"),
    api("/v1/supply"),
    api("/v1/emission/outlook"),
    api("/v1/ide/epochs"),
    api("/v1/network"),
    api("/v1/price"),
  ]);
  const now = status.chain_time;
  const calendar = await api("/v1/vesting/calendar");

  document.getElementById("chain-id").textContent = String(status.chain_id);
  document.getElementById("indexed-block").textContent = groupThousands(String(status.indexed_through_block));
  document.getElementById("as-of").textContent = now === null ? "n/a" : new Date(now * 1000).toISOString();

  // ---- the headline: who pays the providers
  const s = ide.summary || {};
  const trailing = s.sustainability_ratio_bps_trailing ?? null;
  setFigure("ratio-trailing", trailing);
  setFigure("ratio-all-time", s.sustainability_ratio_bps_all_time ?? null);
  const rel = s.released || {};
  const fromRevenue = BigInt(rel.fee_io?.value ?? "0") + BigInt(rel.fee_usdc_swap?.value ?? "0");
  const fromEmission = BigInt(rel.reward_vault?.value ?? "0");
  for (const k of ["reward_vault", "fee_io", "fee_usdc_swap"]) setFigure(`paid-${k}`, rel[k]?.value ?? "0");
  const paidAll = fromRevenue + fromEmission;
  const share = paidAll > 0n ? (fromRevenue * 10000n) / paidAll : null;
  setFigure("paid-revenue-share", share === null ? null : share.toString());
  const split = document.getElementById("paid-split");
  const pct = share === null ? 0 : Number(share) / 100;
  split.children[0].style.width = `${pct}%`;
  split.children[1].style.width = `${share === null ? 0 : 100 - pct}%`;
  const [verdict, sentence] = verdictOf(trailing);
  const hero = document.getElementById("hero");
  hero.className = `hero verdict-${verdict}`;
  hero.dataset.verdict = verdict;
  document.getElementById("verdict").textContent = sentence;

  // ---- supply and burns
  setFigure("supply-total", supply.total_supply.value);
  setFigure("supply-genesis", supply.genesis.value);
  setFigure("supply-emitted", supply.emitted.value);
  setFigure("supply-burned", supply.burned.value);
  setFigure("supply-max", supply.max_supply.value);
  const burnKeys = ["slashing", "buyback", "fee_io", "retirement", "holders"];
  for (const k of burnKeys) setFigure(`burn-${k}`, supply.burned_by_source[k].value);

  const years = outlook.years;
  chart(
    "outlook",
    {
      type: "line",
      data: {
        labels: years.map((y) => `y${y.year}`),
        datasets: [
          {
            label: "minted if fully emitted (IO)",
            data: years.map((y) => toNumber(y.max_supply_minted.value, 18)),
            borderColor: COLORS.owed,
            backgroundColor: "rgba(91,110,225,0.15)",
            fill: true,
            pointRadius: 0,
          },
          {
            label: "max supply",
            data: years.map(() => toNumber(outlook.max_supply.value, 18)),
            borderColor: COLORS.neutral,
            borderDash: [6, 4],
            pointRadius: 0,
          },
        ],
      },
      options: { scales: { y: { min: 0 } } },
    },
    {
      labels: years.map((y) => y.year),
      series: {
        max_supply_minted: years.map((y) => y.max_supply_minted.value),
        emitted: years.map((y) => y.emitted.value),
      },
    },
  );
  chart(
    "burns",
    {
      type: "bar",
      data: {
        labels: burnKeys,
        datasets: [
          {
            label: "IO burned",
            data: burnKeys.map((k) => toNumber(supply.burned_by_source[k].value, 18)),
            backgroundColor: COLORS.cats,
          },
        ],
      },
      options: { indexAxis: "y", plugins: { legend: { display: false } } },
    },
    { labels: burnKeys, series: { burned: burnKeys.map((k) => supply.burned_by_source[k].value) } },
  );

  // ---- the engine per epoch
  setFigure("fee-usd-in", s.fee_usd_in?.value ?? "0");
  setFigure("usd-owed-total", s.usd_owed_total?.value ?? "0");
  setFigure("shortfall-usd", s.shortfall_usd_total?.value ?? "0");
  setFigure("last-settled", s.last_settled ?? 0);
  const epochs = ide.epochs;
  const labels = epochs.map((e) => `#${e.epoch}`);
  chart(
    "ide",
    {
      data: {
        labels,
        datasets: [
          {
            type: "bar",
            label: "rewards owed (USD)",
            data: epochs.map((e) => toNumber(e.usd_owed.value, 6)),
            backgroundColor: COLORS.owed,
            yAxisID: "usd",
          },
          {
            type: "bar",
            label: "fees in: revenue (USD)",
            data: epochs.map((e) => toNumber(e.fee_usd.value, 6)),
            backgroundColor: COLORS.revenue,
            yAxisID: "usd",
          },
          {
            type: "line",
            label: "sustainability ratio (%)",
            data: epochs.map((e) => (e.sustainability_ratio_bps === null ? null : e.sustainability_ratio_bps / 100)),
            borderColor: COLORS.emission,
            backgroundColor: COLORS.emission,
            yAxisID: "ratio",
          },
        ],
      },
      options: {
        scales: {
          usd: { position: "left", title: { display: true, text: "USD" }, beginAtZero: true },
          ratio: { position: "right", title: { display: true, text: "%" }, beginAtZero: true, grid: { drawOnChartArea: false } },
        },
      },
    },
    {
      labels: epochs.map((e) => e.epoch),
      series: {
        usd_owed: epochs.map((e) => e.usd_owed.value),
        fee_usd: epochs.map((e) => e.fee_usd.value),
        sustainability_ratio_bps: epochs.map((e) => e.sustainability_ratio_bps),
      },
    },
  );
  const src = (e, k) => e.io_paid_by_source[k].value;
  chart(
    "paid",
    {
      type: "bar",
      data: {
        labels,
        datasets: [
          { label: "reward vault (emission)", data: epochs.map((e) => toNumber(src(e, "reward_vault"), 18)), backgroundColor: COLORS.emission },
          { label: "fee IO (revenue)", data: epochs.map((e) => toNumber(src(e, "fee_io"), 18)), backgroundColor: COLORS.revenue },
          { label: "fee USDC swapped (revenue)", data: epochs.map((e) => toNumber(src(e, "fee_usdc_swap"), 18)), backgroundColor: "#7cc49a" },
        ],
      },
      options: { scales: { x: { stacked: true }, y: { stacked: true, title: { display: true, text: "IO" } } } },
    },
    {
      labels: epochs.map((e) => e.epoch),
      series: {
        reward_vault: epochs.map((e) => src(e, "reward_vault")),
        fee_io: epochs.map((e) => src(e, "fee_io")),
        fee_usdc_swap: epochs.map((e) => src(e, "fee_usdc_swap")),
      },
    },
  );

  // ---- price
  setFigure("twap", priceView.twap ? priceView.twap.value : null);
  setFigure("twap-window", priceView.twap_window_seconds);
  const pe = priceView.epochs;
  chart(
    "price",
    {
      type: "line",
      data: {
        labels: pe.map((e) => `#${e.epoch}`),
        datasets: [{ label: "USDC per IO", data: pe.map((e) => toNumber(e.price.value, 6)), borderColor: COLORS.owed, backgroundColor: COLORS.owed }],
      },
      options: { plugins: { legend: { display: false } } },
    },
    { labels: pe.map((e) => e.epoch), series: { price: pe.map((e) => e.price.value) } },
  );

  // ---- devices and stake
  setFigure("devices", network.device_count);
  setFigure("devices-jailed", network.jailed);
  setFigure("stake-owner", network.owner_active.value);
  setFigure("stake-co", network.co_staked.value);
  const cls = network.by_class;
  chart(
    "classes",
    {
      type: "bar",
      data: {
        labels: cls.map((c) => `${c.name} (${c.devices})`),
        datasets: [
          { label: "owner stake (IO)", data: cls.map((c) => toNumber(c.owner_active.value, 18)), backgroundColor: COLORS.owed },
          { label: "co-stake (IO)", data: cls.map((c) => toNumber(c.co_staked.value, 18)), backgroundColor: COLORS.revenue },
        ],
      },
      options: { scales: { x: { stacked: true }, y: { stacked: true } } },
    },
    {
      labels: cls.map((c) => c.device_class),
      series: {
        devices: cls.map((c) => c.devices),
        owner_active: cls.map((c) => c.owner_active.value),
        co_staked: cls.map((c) => c.co_staked.value),
      },
    },
  );

  // ---- vesting: every tranche of the live grants per category (past and ahead), what is ahead
  const cats = Object.keys(calendar.categories).sort();
  const times = [...new Set(cats.flatMap((c) => calendar.categories[c].calendar.map((r) => r.time)))].sort((a, b) => a - b);
  const perCat = {};
  let unlocked = 0n;
  let ahead = 0n;
  let year = 0n;
  for (const c of cats) {
    const byTime = new Map(calendar.categories[c].calendar.map((r) => [r.time, r.unlocks.value]));
    perCat[c] = times.map((t) => byTime.get(t) ?? "0");
    for (const r of calendar.categories[c].calendar) {
      const amount = BigInt(r.unlocks.value);
      if (r.time <= now) unlocked += amount;
      else ahead += amount;
      if (r.time > now && r.time <= now + 365 * 86400) year += amount;
    }
  }
  const next = times.find((t) => t > now);
  setFigure("unlocked-so-far", unlocked.toString());
  setFigure("unlocks-ahead", ahead.toString());
  setFigure("unlocks-year", year.toString());
  setFigure("next-unlock", next ?? null);
  chart(
    "unlocks",
    {
      type: "bar",
      data: {
        labels: times.map((t) => (t > now ? formatTime(t) : `${formatTime(t)} ✓`)),
        datasets: cats.map((c, i) => ({
          label: c,
          data: perCat[c].map((v) => toNumber(v, 18)),
          backgroundColor: times.map((t) => COLORS.cats[i % COLORS.cats.length] + (t > now ? "" : "66")),
        })),
      },
      options: { scales: { x: { stacked: true }, y: { stacked: true, title: { display: true, text: "IO" } } } },
    },
    { labels: times, series: perCat },
  );

  document.getElementById("status").textContent =
    `${Object.keys(dashboard.figures).length} figures and ${Object.keys(dashboard.charts).length} charts from /v1`;
  dashboard.ready = true;
  document.body.dataset.ready = "1";
}

main().catch((err) => {
  document.body.dataset.error = String(err);
  document.getElementById("status").textContent = `error: ${err}`;
  console.error(err);
});
