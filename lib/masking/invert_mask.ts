/**
 * Conversion between the two mask conventions used in the kit. The masking
 * module (S-MAG F2) uses **1 = kept (visible), 0 = masked**; the imputation
 * part (F10-F12) and MAE's `mask` output use **1 = missing/masked**.
 *
 * @module
 */
import * as tf from "../tfjs.ts";

/**
 * `1 - mask`: turns a "1 = kept" mask into a "1 = missing" mask and back
 * (an involution). Any shape; float32 (or the input's float dtype) out;
 * soft masks in [0,1] stay in [0,1]. Returns a new tensor.
 */
export function invertMask<T extends tf.Tensor>(mask: T): T {
  return tf.tidy(() => tf.sub(1, tf.cast(mask, "float32"))) as T;
}
