import { runtime } from "./runtime";

export default runtime.config;
