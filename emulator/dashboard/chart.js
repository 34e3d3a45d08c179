// A small SVG time-series chart: horizontal grid with value labels, first/last time, one line.
const SVG = "http://www.w3.org/2000/svg";
const HEIGHT = 220;
const PAD = { left: 56, right: 14, top: 12, bottom: 26 };

function node(name, attributes, text) {
	const element = document.createElementNS(SVG, name);
	for (const key in attributes) element.setAttribute(key, String(attributes[key]));
	if (text !== undefined) element.textContent = text;
	return element;
}

function label(value) {
	const magnitude = Math.abs(value);
	return magnitude !== 0 && (magnitude >= 1e6 || magnitude < 1e-3) ? value.toExponential(2) : String(Math.round(value * 1000) / 1000);
}

/** Draws `points` ([{t, v}], oldest first) into `svg`; data-points / data-last say what is shown. */
export function drawChart(svg, points) {
	const width = Math.max(240, Math.round(svg.clientWidth || 640));
	svg.setAttribute("viewBox", `0 0 ${width} ${HEIGHT}`);
	svg.replaceChildren();
	svg.dataset.points = String(points.length);
	svg.dataset.last = points.length ? String(points[points.length - 1].v) : "";
	if (points.length === 0) {
		svg.append(node("text", { x: width / 2, y: HEIGHT / 2, "text-anchor": "middle", class: "axis" }, "no numeric values yet"));
		return;
	}
	let min = Infinity, max = -Infinity;
	for (const p of points) {
		if (p.v < min) min = p.v;
		if (p.v > max) max = p.v;
	}
	if (min === max) {
		min -= 1;
		max += 1;
	}
	const t0 = points[0].t;
	const t1 = Math.max(points[points.length - 1].t, t0 + 1);
	const plotW = width - PAD.left - PAD.right;
	const plotH = HEIGHT - PAD.top - PAD.bottom;
	const x = (t) => PAD.left + ((t - t0) / (t1 - t0)) * plotW;
	const y = (v) => PAD.top + (1 - (v - min) / (max - min)) * plotH;
	for (let i = 0; i <= 4; i++) {
		const value = min + ((max - min) * i) / 4;
		svg.append(node("line", { x1: PAD.left, x2: width - PAD.right, y1: y(value), y2: y(value), class: "grid" }));
		svg.append(node("text", { x: PAD.left - 6, y: y(value) + 4, "text-anchor": "end", class: "axis" }, label(value)));
	}
	const time = (t) => new Date(t).toLocaleTimeString();
	svg.append(node("text", { x: PAD.left, y: HEIGHT - 6, class: "axis" }, time(t0)));
	svg.append(node("text", { x: width - PAD.right, y: HEIGHT - 6, "text-anchor": "end", class: "axis" }, time(t1)));
	const path = points.map((p) => `${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join(" ");
	svg.append(node("polyline", { points: path, class: "line" }));
	const last = points[points.length - 1];
	svg.append(node("circle", { cx: x(last.t), cy: y(last.v), r: 4, class: "last" }));
}
