/**
 * Imports every method module so that each registers itself; import this
 * once before `buildMethod` / `listMethods`.
 *
 * @module
 */
import "./simclr.ts";
export { buildMethod, listMethods, methodSpec } from "./registry.ts";
