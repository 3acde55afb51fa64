/**
 * Imports every method module so that each registers itself; import this
 * once before `buildMethod` / `listMethods`.
 *
 * @module
 */
import "./simclr.ts";
import "./moco_v2.ts";
import "./saliency_masked.ts";
import "./smag.ts";
import "./kdc_mae.ts";
import "./mim_siamese.ts";
export { buildMethod, listMethods, methodSpec, withDefaultOptions } from "./registry.ts";
