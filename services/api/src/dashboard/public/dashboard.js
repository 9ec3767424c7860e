/*
 * The dashboard page's only script: draws each panel's per-day chart with
 * uPlot (loaded before this file) from the JSON the server embedded beside it
 * (<div data-chart="ID"> and <script type="application/json" id="ID">). The
 * figures themselves are in the page's tables; this draws, nothing more.
 */
;(() => {
  const COLOURS = ['#1f6feb', '#d97706', '#16a34a', '#9333ea', '#dc2626']
  const DAY_SECONDS = 86400

  function draw(element) {
    const source = document.getElementById(element.dataset.chart)
    if (!source) return
    const data = JSON.parse(source.textContent)
    // Days as UTC midnights, labelled in UTC: the axis shows the service day's date as written, whatever the browser's zone.
    const xs = data.days.map((day) => Date.parse(`${day}T00:00:00Z`) / 1000)
    const options = {
      width: Math.max(320, element.clientWidth),
      height: 240,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
      scales: { x: { time: true, range: (_u, min, max) => [min - DAY_SECONDS / 2, max + DAY_SECONDS / 2] } },
      series: [
        { label: 'day', value: (_u, ts) => (ts === null ? '' : new Date(ts * 1000).toISOString().slice(0, 10)) },
        ...data.series.map((series, i) => ({ label: series.name, stroke: COLOURS[i % COLOURS.length], width: 2, points: { show: true, size: 5 } })),
      ],
      axes: [{}, { size: 60 }],
    }
    new uPlot(options, [xs, ...data.series.map((series) => series.values)], element)
  }

  for (const element of document.querySelectorAll('[data-chart]')) draw(element)
})()
