/**
 * Gated recurrent unit in the form of S-MAG equations F6-F8 (Cho et al.
 * 2014, reset gate applied before the candidate's matrix product):
 *
 * ```
 * z_t = sigmoid(W_z [h_{t-1}, x_t] + b_z)                    (F6, update gate)
 * r_t = sigmoid(W_r [h_{t-1}, x_t] + b_r)                    (F7, reset gate)
 * h_t = z_t * h_{t-1} + (1 - z_t) * tanh(W_h [r_t * h_{t-1}, x_t] + b_h)   (F8)
 * ```
 *
 * Each W_g acting on the concatenation [h, x] is stored as two blocks,
 * `W_g [h, x] = h Wh_g + x Wx_g` (row-vector convention), so the input
 * products of a whole sequence are computed in one matrix product. h_0 = 0.
 *
 * Shapes: x_t [N,in], h_t [N,hidden]; sequences [N,T,in] -> [N,T,hidden].
 *
 * @module
 */
import * as tf from "../tfjs.ts";
import { fanInUniform, type ParamStore } from "../nn/params.ts";

/** The three weight blocks of one gate g: x Wx + h Wh + b. */
export interface GruGate {
  /** Wx_g: [in, hidden]. */
  readonly wx: tf.Variable;
  /** Wh_g: [hidden, hidden]. */
  readonly wh: tf.Variable;
  /** b_g: [hidden]. */
  readonly b: tf.Variable;
}

/** A single-layer GRU (F6-F8) over a token sequence. */
export class Gru {
  readonly inFeatures: number;
  readonly hidden: number;
  /** Update gate z (F6). */
  readonly z: GruGate;
  /** Reset gate r (F7). */
  readonly r: GruGate;
  /** Candidate state (the tanh term of F8). */
  readonly h: GruGate;

  /**
   * Registers `${name}.{z,r,h}.{wx,wh,b}`, initialised U(-1/sqrt(hidden), 1/sqrt(hidden))
   * as PyTorch's GRU.
   */
  constructor(store: ParamStore, name: string, opts: { inFeatures: number; hidden: number }) {
    this.inFeatures = opts.inFeatures;
    this.hidden = opts.hidden;
    const init = fanInUniform(opts.hidden);
    const gate = (g: string): GruGate => ({
      wx: store.param(`${name}.${g}.wx`, [opts.inFeatures, opts.hidden], init),
      wh: store.param(`${name}.${g}.wh`, [opts.hidden, opts.hidden], init),
      b: store.param(`${name}.${g}.b`, [opts.hidden], init),
    });
    this.z = gate("z");
    this.r = gate("r");
    this.h = gate("h");
  }

  /** One step of F6-F8: x [N,in], hPrev [N,hidden] -> h_t [N,hidden]. */
  step(x: tf.Tensor2D, hPrev: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() =>
      this.#stepFromInputs(
        this.#inputPart(x, this.z),
        this.#inputPart(x, this.r),
        this.#inputPart(x, this.h),
        hPrev,
      )
    );
  }

  /**
   * Runs the GRU over a sequence: xs [N,T,in] -> every state [N,T,hidden]
   * (h_1..h_T), starting from h0 (default zeros [N,hidden]).
   */
  run(xs: tf.Tensor3D, h0?: tf.Tensor2D): tf.Tensor3D {
    const [n, t, d] = xs.shape;
    if (d !== this.inFeatures) {
      throw new Error(
        `GRU expects ${this.inFeatures} input features per step but got ${d}; ` +
          `build it with inFeatures = ${d} or fix the input`,
      );
    }
    return tf.tidy(() => {
      // Time-major rows [T*N, in], so that each step's slice of the input parts is contiguous:
      // unstacking along axis 1 of [N,T,hidden] takes tfjs's element-wise slice path on the CPU
      // backends (`deno task encoder-profile --neck hsagm --threads 1 --batch 256`: Unpack 4.4 of
      // the encoder's 7.0 s forward and backward before this change, 1.8 s in all after it).
      const rows = tf.reshape(tf.transpose(xs, [1, 0, 2]), [t * n, d]) as tf.Tensor2D;
      const seq = (g: GruGate) =>
        tf.unstack(tf.reshape(this.#inputPart(rows, g), [t, n, this.hidden]), 0);
      const xz = seq(this.z);
      const xr = seq(this.r);
      const xh = seq(this.h);
      let h: tf.Tensor2D = h0 ?? tf.zeros([n, this.hidden]);
      const states: tf.Tensor2D[] = [];
      for (let k = 0; k < t; k++) {
        h = this.#stepFromInputs(
          xz[k] as tf.Tensor2D,
          xr[k] as tf.Tensor2D,
          xh[k] as tf.Tensor2D,
          h,
        );
        states.push(h);
      }
      return tf.transpose(tf.stack(states, 0), [1, 0, 2]) as tf.Tensor3D;
    });
  }

  /** Multiply-adds per step: 3 gates x (in*hidden + hidden*hidden). */
  macsPerStep(): number {
    return 3 * (this.inFeatures * this.hidden + this.hidden * this.hidden);
  }

  /** x Wx_g + b_g: [M,in] -> [M,hidden]. */
  #inputPart(x: tf.Tensor2D, g: GruGate): tf.Tensor2D {
    return tf.add(tf.matMul(x, g.wx as tf.Tensor2D), g.b);
  }

  /** F6-F8 given the input parts x Wx_g + b_g of the three gates. */
  #stepFromInputs(
    xz: tf.Tensor2D,
    xr: tf.Tensor2D,
    xh: tf.Tensor2D,
    hPrev: tf.Tensor2D,
  ): tf.Tensor2D {
    const z = tf.sigmoid(tf.add(xz, tf.matMul(hPrev, this.z.wh as tf.Tensor2D)));
    const r = tf.sigmoid(tf.add(xr, tf.matMul(hPrev, this.r.wh as tf.Tensor2D)));
    const candidate = tf.tanh(tf.add(xh, tf.matMul(tf.mul(r, hPrev), this.h.wh as tf.Tensor2D)));
    // z * h_{t-1} + (1 - z) * candidate, written as candidate + z * (h_{t-1} - candidate).
    return tf.add(candidate, tf.mul(z, tf.sub(hPrev, candidate))) as tf.Tensor2D;
  }
}
