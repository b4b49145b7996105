// The dashboard's only data source: the public stats API (POST /api/v2/query).

const config = document.getElementById("dashboard").dataset;

export const site = config.site;
export const timezone = config.timezone || "UTC";
export const shared = config.share || "";

export class ApiError extends Error {}

export async function query(body, signal) {
  const headers = { "content-type": "application/json" };
  // A signed-in owner proves the request comes from this page with the session's CSRF token (a
  // header no cross-site form can send); a shared link's visitor presents the link's token.
  if (shared) headers["x-footfall-share"] = shared;
  else headers["x-footfall-csrf"] = config.csrf;
  const response = await fetch("/api/v2/query", {
    method: "POST",
    headers,
    credentials: "same-origin",
    body: JSON.stringify({ site_id: site, ...body }),
    signal,
  });
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) {
    if (response.status === 401 && !shared) window.location.assign("/login");
    throw new ApiError((data && data.error) || `The stats API answered ${response.status}.`);
  }
  return data;
}

// -- dates, as YYYY-MM-DD strings in the site's timezone ------------------------------------

const isoDay = new Intl.DateTimeFormat("en-CA", { timeZone: timezone, year: "numeric", month: "2-digit", day: "2-digit" });

export function today() {
  return isoDay.format(new Date());
}

function toUTC(day) {
  const [y, m, d] = day.split("-").map(Number);
  return Date.UTC(y, m - 1, d);
}

function fromUTC(ms) {
  return new Date(ms).toISOString().slice(0, 10);
}

export function addDays(day, n) {
  return fromUTC(toUTC(day) + n * 86400000);
}

export function daysBetween(from, to) {
  return Math.round((toUTC(to) - toUTC(from)) / 86400000) + 1;
}

export function validDay(day) {
  return typeof day === "string" && /^\d{4}-\d{2}-\d{2}$/.test(day) && fromUTC(toUTC(day)) === day;
}

export const PERIODS = [
  ["realtime", "Realtime (last 30 minutes)"],
  ["day", "Today"],
  ["yesterday", "Yesterday"],
  ["7d", "Last 7 days"],
  ["30d", "Last 30 days"],
  ["month", "Month to date"],
  ["lastmonth", "Last month"],
  ["12mo", "Last 12 months"],
  ["all", "All time"],
  ["custom", "Custom range…"],
];

// The range a period covers: {range: API date_range, previous: the period before it or null, days}.
export function resolvePeriod(period, from, to) {
  const t = today();
  if (period === "realtime") {
    const end = new Date();
    const start = new Date(end.getTime() - 30 * 60000);
    return { range: [start.toISOString(), end.toISOString()], previous: null, days: 0, realtime: true };
  }
  if (period === "all") return { range: "all", previous: null, days: null };
  let start;
  let end = t;
  if (period === "day") start = t;
  else if (period === "yesterday") start = end = addDays(t, -1);
  else if (period === "7d") start = addDays(t, -6);
  else if (period === "month") start = t.slice(0, 8) + "01";
  else if (period === "lastmonth") {
    end = addDays(t.slice(0, 8) + "01", -1);
    start = end.slice(0, 8) + "01";
  } else if (period === "12mo") start = addDays(`${Number(t.slice(0, 4)) - 1}${t.slice(4)}`, 1);
  else if (period === "custom" && validDay(from) && validDay(to)) [start, end] = from <= to ? [from, to] : [to, from];
  else start = addDays(t, -29);
  const days = daysBetween(start, end);
  return { range: [start, end], previous: [addDays(start, -days), addDays(start, -1)], days };
}

export function intervalsFor(resolved) {
  if (resolved.realtime) return ["minute"];
  if (resolved.days === null) return ["month", "week", "day"];
  if (resolved.days <= 1) return ["hour"];
  if (resolved.days <= 7) return ["day", "hour"];
  if (resolved.days <= 92) return ["day", "week"];
  return ["month", "week", "day"];
}
