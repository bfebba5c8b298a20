import { LocalRuntime } from "@canal/runtime-local";
import { runtimeConformance } from "./suite.js";

runtimeConformance("local", (cacheDir) => new LocalRuntime({ cacheDir }));
