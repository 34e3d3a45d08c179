// Rollup plugin: module-level numeric constants (`const SIZE = 8192`, `const MASK = 1 << 7`) inlined into
// their uses, and their declarations dropped, before terser. Why: XS gives every top-level binding of a
// module a stack slot while the module body runs; a device that does not preload the bundle (the
// simulator, lin/mac/win) loads it on a 384-slot stack by default, and ~150 of the app's ~380 bindings
// were such constants. (terser's reduce_vars would inline them too, but it also turns string constants
// back into literals, which XS copies to the heap at each use when the code is not preloaded.)
// Conservative: a name is inlined only if no inner scope declares the same name and no export names it.

/** The plugin; `report(name, count)` gets the number of constants inlined per chunk. */
export function inlineConstants(report = () => {}) {
	return {
		name: "inline-constants",
		renderChunk(code, chunk) {
			const { text, count } = inline(code, this.parse(code));
			report(chunk.fileName, count);
			// Replacements stay on their lines: line mappings hold, columns shift a little.
			return count === 0 ? null : { code: text, map: null };
		},
	};
}

/** The text with the constants inlined and their declarations dropped, and how many were. */
export function inline(code, ast) {
	const constants = new Map(); // name -> { value, declarator, declaration }
	for (const node of ast.body) {
		if (node.type !== "VariableDeclaration" || node.kind !== "const") continue;
		for (const declarator of node.declarations) {
			if (declarator.id.type !== "Identifier" || declarator.init === null) continue;
			const value = evaluate(declarator.init, constants);
			if (value !== undefined) constants.set(declarator.id.name, { value, declarator, declaration: node });
		}
	}
	if (constants.size === 0) return { text: code, count: 0 };
	// Names no inner scope redeclares and nothing exports.
	const unsafe = new Set();
	walk(ast, null, null, (node, parent) => {
		if (node.type === "ExportSpecifier") unsafe.add(node.local.name);
		if (node.type === "VariableDeclarator" && (parent.parent === ast || parent.parent?.parent === ast)) return; // the module's own
		for (const id of bindings(node)) unsafe.add(id);
	});
	for (const name of unsafe) constants.delete(name);
	const edits = []; // [start, end, text]
	walk(ast, null, null, (node, parent, key) => {
		if (node.type !== "Identifier" || !constants.has(node.name) || !isReference(parent, key)) return;
		if (parent.type === "VariableDeclarator" && key === "id") return;
		const literal = "(" + String(constants.get(node.name).value) + ")";
		if (parent.type === "Property" && parent.shorthand) edits.push([parent.start, parent.end, `${node.name}: ${literal}`]);
		else edits.push([node.start, node.end, literal]);
	});
	// Drop the declarators (a whole declaration when all of its declarators go).
	const byDeclaration = new Map();
	for (const { declarator, declaration } of constants.values()) byDeclaration.set(declaration, [...(byDeclaration.get(declaration) ?? []), declarator]);
	for (const [declaration, dropped] of byDeclaration) {
		if (dropped.length === declaration.declarations.length) edits.push([declaration.start, declaration.end, ""]);
		else {
			const kept = declaration.declarations.filter((d) => !dropped.includes(d)).map((d) => code.slice(d.start, d.end));
			edits.push([declaration.start, declaration.end, `const ${kept.join(", ")};`]);
		}
	}
	// Outermost edits only (a dropped declaration takes the uses inside it along), applied from the end.
	edits.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
	const kept = [];
	for (const edit of edits) if (kept.length === 0 || edit[0] >= kept[kept.length - 1][1]) kept.push(edit);
	let text = code;
	for (const [start, end, replacement] of kept.reverse()) text = text.slice(0, start) + replacement + text.slice(end);
	return { text, count: constants.size };
}

/** The numeric (or boolean) value of a constant expression over literals and known constants, else undefined. */
function evaluate(node, constants) {
	switch (node.type) {
		case "Literal":
			return typeof node.value === "number" || typeof node.value === "boolean" ? node.value : undefined;
		case "Identifier":
			return constants.get(node.name)?.value;
		case "UnaryExpression": {
			const v = evaluate(node.argument, constants);
			if (typeof v !== "number") return undefined;
			return node.operator === "-" ? -v : node.operator === "+" ? v : node.operator === "~" ? ~v : undefined;
		}
		case "BinaryExpression": {
			const a = evaluate(node.left, constants);
			const b = evaluate(node.right, constants);
			if (typeof a !== "number" || typeof b !== "number") return undefined;
			const ops = {
				"+": () => a + b, "-": () => a - b, "*": () => a * b, "/": () => a / b, "%": () => a % b, "**": () => a ** b,
				"<<": () => a << b, ">>": () => a >> b, ">>>": () => a >>> b, "|": () => a | b, "&": () => a & b, "^": () => a ^ b,
			};
			const v = ops[node.operator]?.();
			return v !== undefined && Number.isFinite(v) && !Object.is(v, -0) ? v : undefined;
		}
		case "ParenthesizedExpression":
			return evaluate(node.expression, constants);
		default:
			return undefined;
	}
}

/** Names a node declares (below the module's own top level). */
function bindings(node) {
	const names = [];
	const pattern = (p) => {
		if (p === null) return;
		if (p.type === "Identifier") names.push(p.name);
		else if (p.type === "ObjectPattern") for (const q of p.properties) pattern(q.type === "RestElement" ? q.argument : q.value);
		else if (p.type === "ArrayPattern") for (const q of p.elements) pattern(q);
		else if (p.type === "AssignmentPattern") pattern(p.left);
		else if (p.type === "RestElement") pattern(p.argument);
	};
	if (node.type === "VariableDeclarator") pattern(node.id);
	if (node.type === "FunctionDeclaration" || node.type === "FunctionExpression" || node.type === "ArrowFunctionExpression") {
		if (node.id) names.push(node.id.name);
		for (const p of node.params) pattern(p);
	}
	if ((node.type === "ClassDeclaration" || node.type === "ClassExpression") && node.id) names.push(node.id.name);
	if (node.type === "CatchClause") pattern(node.param);
	if (node.type === "ImportSpecifier" || node.type === "ImportDefaultSpecifier" || node.type === "ImportNamespaceSpecifier") names.push(node.local.name);
	return names;
}

/** Whether an Identifier at parent[key] reads a variable (not a property name, label or export name). */
function isReference(parent, key) {
	if (parent === null) return false;
	switch (parent.type) {
		case "MemberExpression":
			return key === "object" || parent.computed;
		case "Property":
		case "MethodDefinition":
		case "PropertyDefinition":
			return key === "value" || parent.computed;
		case "LabeledStatement":
		case "BreakStatement":
		case "ContinueStatement":
			return false;
		case "ExportSpecifier":
		case "ImportSpecifier":
		case "ImportDefaultSpecifier":
		case "ImportNamespaceSpecifier":
			return false;
		case "MetaProperty":
			return false;
		default:
			return true;
	}
}

/** Visits every node with its parent and the key it sits under; `parent.parent` is set on the way down. */
function walk(node, parent, key, visit) {
	if (parent !== null) Object.defineProperty(node, "parent", { value: parent, configurable: true });
	visit(node, parent, key);
	for (const [k, value] of Object.entries(node)) {
		if (k === "start" || k === "end" || k === "type") continue;
		if (Array.isArray(value)) {
			for (const child of value) if (child && typeof child.type === "string") walk(child, node, k, visit);
		} else if (value && typeof value.type === "string") walk(value, node, k, visit);
	}
}
