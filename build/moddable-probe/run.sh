#!/bin/sh
# The SteamSensor's heap in the real Moddable SDK's simulator, over ws:// and verified wss:// (README,
# "Figures"). Needs the SDK built for Linux (MODDABLE set, $MODDABLE/build/bin/lin/release on PATH),
# Xvfb, openssl, valgrind not needed. Not part of npm test. Usage: build/moddable-probe/run.sh
set -e
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
PROBE=$ROOT/build/moddable-probe
WORK=$(mktemp -d)
trap 'kill $EMU $XVFB $LISTENER 2>/dev/null; rm -rf "$WORK"' EXIT
export PATH="$ROOT/node_modules/.bin:$PATH"
npm run build > /dev/null
# A private CA and a leaf for "localhost"; the emulator sends leaf + CA (the SDK checks names only on a chained certificate).
mkdir -p "$PROBE/certs"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/ca.key" -out "$WORK/ca.pem" -days 2 -subj /CN=probe-ca 2> /dev/null
openssl req -newkey rsa:2048 -nodes -keyout "$WORK/server.key" -out "$WORK/server.csr" -subj /CN=localhost 2> /dev/null
printf 'subjectAltName=DNS:localhost\n' > "$WORK/san.cnf"
openssl x509 -req -in "$WORK/server.csr" -CA "$WORK/ca.pem" -CAkey "$WORK/ca.key" -CAcreateserial -out "$WORK/server.pem" -days 2 -extfile "$WORK/san.cnf" 2> /dev/null
cat "$WORK/server.pem" "$WORK/ca.pem" > "$WORK/chain.pem"
openssl x509 -in "$WORK/ca.pem" -outform der -out "$PROBE/certs/ca.der"
Xvfb :7 -screen 0 800x600x24 > /dev/null 2>&1 & XVFB=$!
for mode in ws wss; do
	if [ $mode = wss ]; then PORT=8091; TLS=true; EXTRA="--tls $WORK/chain.pem,$WORK/server.key"; else PORT=8090; TLS=false; EXTRA=""; fi
	(cd "$PROBE" && mcconfig -i -m -p lin -t build manifest.json port=$PORT tls=$TLS > "$WORK/build.log" 2>&1) || { tail -20 "$WORK/build.log"; exit 1; }
	node bin/twx.mjs emulator --port $PORT --host 127.0.0.1 --app-key probe-key $EXTRA > "$WORK/emulator.log" 2>&1 & EMU=$!
	node -e 'require("net").createServer((c) => { let d = ""; c.on("data", (x) => (d += x)); c.on("end", () => { process.stdout.write(d); process.exit(0); }); }).listen(9999, "127.0.0.1")' > "$WORK/report.txt" & LISTENER=$!
	sleep 3
	DISPLAY=:7 timeout 150 "$MODDABLE/build/bin/lin/release/mcsim" "$MODDABLE/build/bin/lin/mc/instrument/twxprobe/mc.so" > "$WORK/mcsim.log" 2>&1 || true
	wait $LISTENER || true
	kill $EMU 2> /dev/null || true
	echo "$mode (XS slot 32 B here; ESP32 estimate = slots x 16 + chunk bytes, net of 'before'):"
	node -e '
		const lines = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n");
		const at = (label) => lines.find((l) => l.startsWith(label)).match(/slotBytes=(\d+) chunkBytes=(\d+)/).slice(1).map(Number);
		const [s0, c0] = at("before");
		for (const line of lines) {
			const m = line.match(/^(\S+) slotBytes=(\d+) chunkBytes=(\d+)/);
			if (!m) { console.log("  " + line); continue; }
			if (m[1] === "before") continue;
			const slots = (Number(m[2]) - s0) / 32, chunks = Number(m[3]) - c0;
			console.log(`  ${m[1]}: ${slots} slots + ${chunks} B chunks = ESP32 est. ${slots * 16 + chunks} B (${((slots * 16 + chunks) / 1024).toFixed(1)} KB)`);
		}' "$WORK/report.txt"
done
