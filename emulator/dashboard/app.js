// The emulator dashboard: state from /Emulator/State, live batches from /Emulator/Stream (SSE),
// writes and service calls through the platform-shaped REST API. Edge data is shown with
// textContent only (never parsed as HTML).
import { drawChart } from "./chart.js";

const NUMERIC = new Set(["NUMBER", "INTEGER", "LONG"]);
const PUSH_TYPES = ["ALWAYS", "VALUE", "NEVER", "DEADBAND", "ON", "OFF"];
const SERIES_MAX = 500;
const EVENTS_MAX = 300;
const FRAMES_MAX = 300;
const DROP_COUNTERS = ["authFailures", "authTimeouts", "beforeAuth", "textFrames", "oversizeFrames", "unreadableHeaders", "unknownCodes",
	"malformedMessages", "malformedResponses", "splitBugTails", "badParams", "bindRejected", "rowsUnbound", "unmatchedResponses", "requestTimeouts",
	"idleCloses", "ignoredAfterClose", "sendsDropped", "socketErrors", "internalErrors", "multipartDroppedStale", "multipartDroppedOversize",
	"multipartDroppedInvalid", "multipartDroppedDuplicate", "multipartDroppedBusy"];

const state = { things: new Map(), selected: null, series: new Map(), events: [], frames: [], counters: {}, tableSignature: "", thingsRendered: 0 };
const $ = (id) => document.getElementById(id);

function el(tag, attributes = {}, ...children) {
	const element = document.createElement(tag);
	for (const [key, value] of Object.entries(attributes)) {
		if (key === "class") element.className = value;
		else if (key.startsWith("data-")) element.setAttribute(key, String(value));
		else element[key] = value;
	}
	for (const child of children) element.append(child instanceof Node ? child : document.createTextNode(String(child)));
	return element;
}

const time = (t) => (t ? new Date(t).toLocaleTimeString() : "never");
const seriesKey = (thing, property) => `${thing}\u0000${property}`;
const thingPath = (name) => `/Thingworx/Things/${encodeURIComponent(name)}`;

function display(value) {
	if (value === null || value === undefined) return "—";
	if (typeof value === "object") {
		if ("latitude" in value && "longitude" in value) return `${value.latitude}, ${value.longitude}, ${value.elevation ?? 0}`;
		return JSON.stringify(value);
	}
	return String(value);
}

// ---- session

async function boot() {
	const token = new URLSearchParams(location.hash.slice(1)).get("token");
	if (token) {
		history.replaceState(null, "", location.pathname);
		await fetch("/Emulator/Session", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ token }) });
	}
	const response = await fetch("/Emulator/State");
	if (response.status === 401) return showLogin();
	start();
}

function showLogin() {
	$("login").hidden = false;
	$("login-form").addEventListener("submit", async (event) => {
		event.preventDefault();
		const response = await fetch("/Emulator/Session", { method: "POST", headers: { appKey: $("login-key").value, "Content-Type": "application/json" }, body: "{}" });
		$("login-key").value = "";
		if (!response.ok) {
			$("login-error").textContent = "That key is not accepted.";
			return;
		}
		$("login").hidden = true;
		start();
	});
}

function start() {
	$("app").hidden = false;
	$("ws-url").textContent = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/Thingworx/WS`;
	const stream = new EventSource("/Emulator/Stream");
	stream.addEventListener("open", () => setLink("live", "live"));
	stream.addEventListener("error", () => setLink("lost", "reconnecting…"));
	stream.addEventListener("state", (event) => applyState(JSON.parse(event.data)));
	stream.addEventListener("batch", (event) => applyBatch(JSON.parse(event.data)));
	$("chart-property").addEventListener("change", renderChart);
	$("write-form").addEventListener("submit", writeProperty);
	$("write-property").addEventListener("change", updateWritePlaceholder);
	$("service-form").addEventListener("submit", invokeService);
	$("service-name").addEventListener("change", renderServiceInputs);
	$("frames-thing-only").addEventListener("change", renderFrames);
}

function setLink(stateName, text) {
	$("link").dataset.state = stateName;
	$("link").textContent = text;
}

// ---- incoming data

function applyState(snapshot) {
	state.things = new Map(snapshot.things.map((t) => [t.name, t]));
	state.events = snapshot.events.slice(-EVENTS_MAX);
	state.frames = snapshot.frames.slice(-FRAMES_MAX);
	state.counters = snapshot.counters;
	if (!state.selected && state.things.size) state.selected = state.things.keys().next().value;
	state.tableSignature = "";
	renderAll();
	if (state.selected) loadHistory(state.selected);
}

function applyBatch(batch) {
	const selected = state.selected;
	let detailChanged = false;
	for (const thing of batch.things) {
		state.things.set(thing.name, thing);
		if (thing.name === selected) detailChanged = true;
	}
	if (!state.selected && state.things.size) {
		state.selected = state.things.keys().next().value;
		detailChanged = true;
		loadHistory(state.selected);
	}
	let chartChanged = false;
	for (const update of batch.values) {
		const thing = state.things.get(update.thing);
		if (!thing) continue;
		thing.lastSeen = update.lastSeen;
		let property = thing.properties.find((p) => p.name === update.property);
		if (!property) {
			property = { name: update.property, baseType: update.baseType, binding: null, aspects: {}, current: null };
			thing.properties.push(property);
			detailChanged = true;
		}
		property.baseType = update.baseType;
		property.current = update.points[update.points.length - 1];
		if (NUMERIC.has(update.baseType)) {
			const key = seriesKey(update.thing, update.property);
			const series = state.series.get(key) ?? [];
			for (const point of update.points) if (typeof point.value === "number") series.push({ t: point.time, v: point.value });
			series.sort((a, b) => a.t - b.t);
			if (series.length > SERIES_MAX) series.splice(0, series.length - SERIES_MAX);
			state.series.set(key, series);
			if (update.thing === selected) chartChanged = true;
		}
		if (update.thing === selected && !detailChanged) updateValueCell(property);
	}
	if (batch.events.length) {
		state.events.push(...batch.events);
		if (state.events.length > EVENTS_MAX) state.events.splice(0, state.events.length - EVENTS_MAX);
		renderEvents();
	}
	if (batch.frames.length) {
		state.frames.push(...batch.frames);
		if (state.frames.length > FRAMES_MAX) state.frames.splice(0, state.frames.length - FRAMES_MAX);
		renderFrames();
	}
	state.counters = batch.counters;
	renderCounters();
	// the list changes with things; "last seen" alone refreshes at most once a second (fleets are large)
	if (batch.things.length || performance.now() - state.thingsRendered > 1000) renderThings();
	if (detailChanged) renderDetail();
	else if (selected) renderThingHeader(state.things.get(selected));
	if (chartChanged || detailChanged) renderChart();
}

async function loadHistory(name) {
	const thing = state.things.get(name);
	if (!thing) return;
	for (const property of thing.properties.filter((p) => NUMERIC.has(p.baseType))) {
		const response = await fetch(`${thingPath(name)}/Services/QueryNumberPropertyHistory`, {
			method: "POST", headers: { "Content-Type": "application/json", Accept: "application/json" },
			body: JSON.stringify({ propertyName: property.name, maxItems: SERIES_MAX }),
		});
		if (!response.ok) continue;
		const table = await response.json();
		const key = seriesKey(name, property.name);
		const live = state.series.get(key) ?? [];
		const merged = new Map(table.rows.map((row) => [row.timestamp, row.value]));
		for (const point of live) merged.set(point.t, point.v);
		state.series.set(key, [...merged].map(([t, v]) => ({ t, v })).sort((a, b) => a.t - b.t).slice(-SERIES_MAX));
	}
	if (state.selected === name) renderChart();
}

// ---- rendering

function renderAll() {
	renderCounters();
	renderThings();
	renderDetail();
	renderChart();
	renderEvents();
	renderFrames();
}

function renderCounters() {
	const c = state.counters;
	const dropped = DROP_COUNTERS.reduce((sum, name) => sum + (c[name] ?? 0), 0);
	const items = [
		["connections", (c.connectionsOpened ?? 0) - (c.connectionsClosed ?? 0)],
		["pushes", c.pushes ?? 0],
		["values", c.rowsStored ?? 0],
		["events", c.eventsRecorded ?? 0],
		["requests to edges", c.requestsToEdge ?? 0],
		["refused/dropped", dropped],
	];
	$("counters").replaceChildren(...items.map(([name, value]) => el("div", { class: name === "refused/dropped" ? "drop" : "" }, el("dt", {}, name), el("dd", {}, value))));
	$("counters").title = DROP_COUNTERS.filter((n) => c[n]).map((n) => `${n}: ${c[n]}`).join("\n") || "nothing refused or dropped";
}

function renderThings() {
	state.thingsRendered = performance.now();
	const list = $("things");
	const items = [...state.things.values()].sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true })).map((thing) => {
		const item = el("li", { "data-thing": thing.name, "data-connected": thing.isConnected, "data-synchronized": thing.synchronized, role: "option" },
			el("span", { class: "dot" }), el("strong", {}, thing.name),
			el("span", { class: "sub" }, thing.isConnected ? (thing.synchronized ? "connected, synchronized" : "connected, synchronizing") : "disconnected", " · seen ", time(thing.lastSeen)));
		item.setAttribute("aria-selected", String(thing.name === state.selected));
		item.addEventListener("click", () => select(thing.name));
		return item;
	});
	list.replaceChildren(...items);
	$("no-things").hidden = state.things.size > 0;
}

function select(name) {
	if (state.selected === name) return;
	state.selected = name;
	state.tableSignature = "";
	renderThings();
	renderDetail();
	renderChart();
	renderEvents();
	renderFrames();
	loadHistory(name);
}

function renderThingHeader(thing) {
	if (!thing) return;
	$("thing-name").textContent = thing.name;
	const badge = (on, yes, no) => el("span", { class: `badge ${on ? "on" : "off"}` }, on ? yes : no);
	$("thing-state").replaceChildren(badge(thing.isConnected, "connected", "disconnected"), badge(thing.synchronized, "synchronized", "not synchronized"), badge(thing.isReporting, "reporting", "not reporting"));
	$("thing-state").dataset.connected = String(thing.isConnected);
	$("thing-state").dataset.synchronized = String(thing.synchronized);
	const gateway = thing.gateway ? ` · gateway ${thing.gateway.name} (${thing.gateway.type})` : "";
	$("thing-facts").textContent = `last connection ${time(thing.lastConnection)} · last seen ${time(thing.lastSeen)}${gateway}${thing.autoCreated ? " · auto-created" : ""}${thing.hasMetadata ? "" : " · no metadata from the edge"}`;
}

function renderDetail() {
	const thing = state.things.get(state.selected);
	$("no-selection").hidden = Boolean(thing);
	$("thing").hidden = !thing;
	if (!thing) return;
	renderThingHeader(thing);
	const signature = JSON.stringify([thing.name, thing.properties.map((p) => [p.name, p.baseType, p.binding])]);
	if (signature !== state.tableSignature) {
		state.tableSignature = signature;
		$("properties").tBodies[0].replaceChildren(...thing.properties.map((p) => propertyRow(thing, p)));
		fillSelect($("chart-property"), thing.properties.filter((p) => NUMERIC.has(p.baseType)).map((p) => p.name));
		fillSelect($("write-property"), thing.properties.map((p) => p.name));
		updateWritePlaceholder();
	}
	const services = thing.services.map((s) => s.name);
	if ($("service-name").dataset.names !== services.join("\n")) {
		$("service-name").dataset.names = services.join("\n");
		fillSelect($("service-name"), services, (name) => (thing.services.find((s) => s.name === name).local ? `${name} (platform)` : name));
		renderServiceInputs();
	}
}

function fillSelect(select, names, text = (name) => name) {
	const previous = select.value;
	select.replaceChildren(...names.map((name) => el("option", { value: name }, text(name))));
	if (names.includes(previous)) select.value = previous;
}

function propertyRow(thing, property) {
	const row = el("tr", { "data-property": property.name });
	const current = property.current;
	row.append(
		el("td", {}, property.name),
		el("td", { class: "value" }, display(current?.value)),
		el("td", {}, property.baseType),
		el("td", { class: "time" }, current ? time(current.time) : "—"),
		el("td", { class: "quality" }, current?.quality ?? "—"),
		bindingCell(thing, property),
	);
	return row;
}

function bindingCell(thing, property) {
	const cell = el("td", { class: "binding" });
	if (!property.binding) {
		cell.append(el("span", { class: "muted" }, "local"));
		return cell;
	}
	const type = el("select", { title: "push type" }, ...PUSH_TYPES.map((t) => el("option", { value: t }, t)));
	type.value = property.binding.pushType;
	const threshold = el("input", { type: "number", step: "any", value: String(property.binding.pushThreshold), title: "push threshold" });
	const save = el("button", { type: "button" }, "Save");
	save.addEventListener("click", async () => {
		const response = await post(thing.name, "SetRemotePropertyBinding", { propertyName: property.name, pushType: type.value, pushThreshold: Number(threshold.value) });
		save.textContent = response.ok ? "Saved" : `Error ${response.status}`;
	});
	cell.append(type, " ", threshold, " ", save);
	return cell;
}

function updateValueCell(property) {
	const row = $("properties").querySelector(`tr[data-property="${CSS.escape(property.name)}"]`);
	if (!row) return;
	const cell = row.querySelector(".value");
	cell.textContent = display(property.current?.value);
	cell.classList.remove("flash");
	void cell.offsetWidth;
	cell.classList.add("flash");
	row.querySelector(".time").textContent = property.current ? time(property.current.time) : "—";
	row.querySelector(".quality").textContent = property.current?.quality ?? "—";
}

function renderChart() {
	const name = $("chart-property").value;
	drawChart($("chart"), state.selected && name ? state.series.get(seriesKey(state.selected, name)) ?? [] : []);
}

function renderEvents() {
	const events = state.events.filter((e) => !state.selected || e.thing === state.selected).slice(-100).reverse();
	$("events").replaceChildren(...events.map((e) => {
		const data = e.data?.rows?.[0] ? Object.entries(e.data.rows[0]).map(([k, v]) => `${k}: ${display(v)}`).join(", ") : "";
		return el("li", { "data-event": e.name }, el("strong", {}, e.name), ` ${time(e.time)} `, el("span", { class: "muted" }, data));
	}));
}

function renderFrames() {
	const connection = state.things.get(state.selected)?.connection;
	const only = $("frames-thing-only").checked;
	const frames = state.frames.filter((f) => !only || f.connection === connection).slice(-150);
	const list = $("frames");
	const atBottom = list.scrollTop + list.clientHeight >= list.scrollHeight - 4;
	list.replaceChildren(...frames.map((f) => {
		const item = el("li", { class: f.direction, title: `${f.bytes} bytes, connection ${f.connection}` }, `${time(f.time)} #${f.connection} ${f.summary}`);
		item.addEventListener("click", () => showFrame(f.id));
		return item;
	}));
	if (atBottom) list.scrollTop = list.scrollHeight;
}

async function showFrame(id) {
	const response = await fetch(`/Emulator/Frames/${id}`);
	const detail = $("frame-detail");
	detail.hidden = false;
	detail.textContent = response.ok ? JSON.stringify(await response.json(), null, 2) : `frame ${id} is no longer kept`;
}

// ---- forms

function post(thing, service, params) {
	return fetch(`${thingPath(thing)}/Services/${encodeURIComponent(service)}`, {
		method: "POST", headers: { "Content-Type": "application/json", Accept: "application/json" }, body: JSON.stringify(params),
	});
}

/** Text typed by a person as the JSON value for a base type. */
function parseInput(text, baseType) {
	if (NUMERIC.has(baseType)) return text.trim() === "" || Number.isNaN(Number(text)) ? text : Number(text);
	if (baseType === "BOOLEAN") return text === "true" ? true : text === "false" ? false : text;
	if (baseType === "JSON" || baseType === "INFOTABLE") {
		try {
			return JSON.parse(text);
		} catch {
			return text;
		}
	}
	return text;
}

function placeholder(baseType) {
	if (NUMERIC.has(baseType)) return "number";
	if (baseType === "BOOLEAN") return "true or false";
	if (baseType === "LOCATION") return "latitude,longitude,elevation";
	if (baseType === "DATETIME") return "2024-01-31T12:00:00Z or ms";
	if (baseType === "JSON" || baseType === "INFOTABLE") return "JSON";
	return "text";
}

function updateWritePlaceholder() {
	const property = state.things.get(state.selected)?.properties.find((p) => p.name === $("write-property").value);
	$("write-value").placeholder = property ? placeholder(property.baseType) : "";
}

async function showError(target, response) {
	target.className = "result error";
	target.textContent = `${response.status} ${response.statusText}: ${await response.text()}`;
}

async function writeProperty(event) {
	event.preventDefault();
	const thing = state.things.get(state.selected);
	const name = $("write-property").value;
	const property = thing?.properties.find((p) => p.name === name);
	if (!property) return;
	const result = $("write-result");
	result.className = "result";
	result.textContent = "writing…";
	const response = await fetch(`${thingPath(thing.name)}/Properties/${encodeURIComponent(name)}`, {
		method: "PUT", headers: { "Content-Type": "application/json", Accept: "application/json" },
		body: JSON.stringify({ [name]: parseInput($("write-value").value, property.baseType) }),
	});
	if (!response.ok) return showError(result, response);
	result.className = "result ok";
	result.textContent = `${name} written`;
}

function renderServiceInputs() {
	const thing = state.things.get(state.selected);
	const service = thing?.services.find((s) => s.name === $("service-name").value);
	$("service-description").textContent = service ? `${service.description || ""} → ${service.output}` : "";
	$("service-inputs").replaceChildren(...(service?.inputs ?? []).map((input) => {
		const field = input.baseType === "BOOLEAN"
			? el("select", { name: input.name, "data-type": input.baseType }, el("option", { value: "" }, "—"), el("option", { value: "true" }, "true"), el("option", { value: "false" }, "false"))
			: el("input", { name: input.name, "data-type": input.baseType, placeholder: placeholder(input.baseType), autocomplete: "off", ...(NUMERIC.has(input.baseType) ? { type: "number", step: "any" } : {}) });
		return el("label", { title: input.description || "" }, `${input.name} (${input.baseType})`, field);
	}));
}

function resultTable(table) {
	const fields = Object.values(table.dataShape.fieldDefinitions).sort((a, b) => a.ordinal - b.ordinal);
	return el("table", {},
		el("thead", {}, el("tr", {}, ...fields.map((f) => el("th", {}, `${f.name} (${f.baseType})`)))),
		el("tbody", {}, ...table.rows.map((row) => el("tr", {}, ...fields.map((f) => el("td", {}, display(row[f.name])))))));
}

async function invokeService(event) {
	event.preventDefault();
	const thing = state.things.get(state.selected);
	const name = $("service-name").value;
	if (!thing || !name) return;
	const params = {};
	for (const field of $("service-inputs").querySelectorAll("[name]")) {
		if (field.value !== "") params[field.name] = parseInput(field.value, field.dataset.type);
	}
	const result = $("service-result");
	result.className = "result";
	result.textContent = "invoking…";
	const response = await post(thing.name, name, params);
	if (!response.ok) return showError(result, response);
	const text = await response.text();
	result.className = "result ok";
	if (!text) {
		result.textContent = `${name} done`;
		return;
	}
	result.replaceChildren(resultTable(JSON.parse(text)));
}

boot().catch((error) => {
	setLink("lost", "error");
	console.error(error);
});
