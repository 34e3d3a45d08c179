// `npm start`: the SteamSensor device with an in-process emulator, or against a real ThingWorx (see --help).
import { main } from "./commands/start";

process.exitCode = await main(process.argv.slice(2));
