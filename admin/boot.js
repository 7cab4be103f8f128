// Starts the admin console; `cargo xtask build` fills in the hashed file names.
import init, { start } from "./__ADMIN_MODULE__";
await init({ module_or_path: new URL("./__ADMIN_WASM__", import.meta.url) });
start();
