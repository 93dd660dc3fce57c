/*
 * UNIDIRECTIONAL_SEQUENCE_LSTM, integer, as TFLM's kernel runs it: the standard LSTM (no
 * CIFG, peephole, projection or layer norm; TFLM refuses those tensors too) with int8
 * activations, int8 weights, int32 biases and an int16 cell state (8x8->16), or int16
 * activations, int8 weights and int64 biases (16x8->16).  Output and cell state are variable
 * tensors carried across invocations.
 *
 * Each gate is FC(input) + FC(hidden) computed into int16 at the fixed scale 2^-12 (each FC
 * rescaled on its own and saturated to int16, the sum saturated again), then the int16
 * sigmoid (input, forget and output gates) or tanh (cell gate) of TFLite's integer kernels:
 * a 256-entry table of sigmoid(i/24) in 0.16 format, interpolated linearly.  Gate outputs are
 * in Q0.15; cell = forget*cell + input*cell_gate (each product rescaled, the sum saturated,
 * optionally clipped); hidden = tanh(cell) * output_gate rescaled to the hidden state's
 * quantization.  Scale constants are the single-precision values TFLM uses.
 */
#include <math.h>
#include <string.h>

#include "tfl/kernel.h"
#include "ref_kernels.h"

enum { LSTM_OPTIONS = 71, LSTM_ACT_TANH = 4 };
/* operand positions (TFLite's LSTM input order) */
enum {
    IN_X = 0, IN_W_INPUT = 1, IN_W_REC = 5, IN_PEEPHOLE = 9, IN_BIAS = 12, IN_PROJ_W = 16,
    IN_PROJ_B = 17, IN_HIDDEN = 18, IN_CELL = 19, IN_LAYER_NORM = 20, IN_COUNT = 24
};
/* gate order of the operands: input, forget, cell, output */
enum { G_INPUT = 0, G_FORGET = 1, G_CELL = 2, G_OUTPUT = 3 };

/* sigmoid(i / 24) * 65536, i = 0..255, rounded (the last entry saturated to 65535) */
static const uint16_t sigmoid_q16[256] = {
    32768, 33451, 34133, 34813, 35493, 36169, 36843, 37513, 38180, 38841, 39498, 40149,
    40794, 41432, 42064, 42688, 43304, 43912, 44511, 45102, 45683, 46255, 46817, 47369,
    47911, 48443, 48964, 49475, 49975, 50464, 50942, 51409, 51865, 52311, 52745, 53169,
    53581, 53983, 54374, 54755, 55125, 55485, 55834, 56174, 56503, 56823, 57133, 57433,
    57724, 58007, 58280, 58544, 58800, 59048, 59288, 59519, 59743, 59959, 60168, 60370,
    60565, 60753, 60935, 61110, 61279, 61441, 61599, 61750, 61896, 62036, 62172, 62302,
    62428, 62549, 62666, 62778, 62886, 62990, 63090, 63186, 63279, 63368, 63454, 63536,
    63615, 63691, 63765, 63835, 63903, 63968, 64030, 64090, 64148, 64204, 64257, 64308,
    64357, 64405, 64450, 64494, 64536, 64576, 64614, 64652, 64687, 64721, 64754, 64786,
    64816, 64845, 64873, 64900, 64926, 64950, 64974, 64997, 65019, 65039, 65060, 65079,
    65097, 65115, 65132, 65149, 65164, 65179, 65194, 65208, 65221, 65234, 65246, 65258,
    65269, 65280, 65291, 65301, 65310, 65319, 65328, 65337, 65345, 65352, 65360, 65367,
    65374, 65381, 65387, 65393, 65399, 65404, 65410, 65415, 65420, 65425, 65429, 65433,
    65438, 65442, 65445, 65449, 65453, 65456, 65459, 65462, 65465, 65468, 65471, 65474,
    65476, 65479, 65481, 65483, 65485, 65488, 65489, 65491, 65493, 65495, 65497, 65498,
    65500, 65501, 65503, 65504, 65505, 65507, 65508, 65509, 65510, 65511, 65512, 65513,
    65514, 65515, 65516, 65517, 65517, 65518, 65519, 65520, 65520, 65521, 65522, 65522,
    65523, 65523, 65524, 65524, 65525, 65525, 65526, 65526, 65526, 65527, 65527, 65528,
    65528, 65528, 65529, 65529, 65529, 65529, 65530, 65530, 65530, 65530, 65531, 65531,
    65531, 65531, 65531, 65532, 65532, 65532, 65532, 65532, 65532, 65533, 65533, 65533,
    65533, 65533, 65533, 65533, 65533, 65534, 65534, 65534, 65534, 65534, 65534, 65534,
    65534, 65534, 65534, 65535,
};

typedef struct {
    int32_t mult, shift;
} lstm_scale_t;

typedef struct {
    lstm_scale_t fc_in[4], fc_rec[4];    /* FC rescale of each gate to 2^-12 */
    int32_t w_in_off[4], w_rec_off[4];   /* -zero point of each weight tensor */
    lstm_scale_t mul_forget, mul_input;  /* products into the cell state */
    lstm_scale_t mul_hidden;             /* tanh(cell) * output gate -> hidden state */
    int32_t x_off, h_off, h_zp, h_lo, h_hi;
    int32_t cell_power;                  /* cell scale = 2^cell_power (rounded log2) */
    int32_t cell_clip;                   /* > 0: clip the cell state to [-clip, clip] */
    int32_t batch, steps, n_input, n_state, time_major, wide;
    int16_t *buf[4];                     /* rows x n_state each */
} lstm_data_t;

/* x * M * 2^shift for 64-bit accumulators, as TFLite does it: the multiplier reduced to 16
   bits, one rounding (prepare keeps shift in -31..7) */
static int32_t mbqm64(int64_t x, int32_t mult, int32_t shift)
{
    const int32_t reduced = mult < 0x7FFF0000 ? (mult + (1 << 15)) >> 16 : 0x7FFF;
    const int32_t total = 15 - shift;
    const uint64_t r = (uint64_t)x * (uint64_t)(int64_t)reduced + ((uint64_t)1 << (total - 1));
    return (int32_t)(uint32_t)((int64_t)r >> total);
}

static int16_t sat16(int32_t v)
{
    return (int16_t)tfl_clamp(v, -32768, 32767);
}

/* int16 sigmoid, input at 2^-12, output in Q0.15 (TFLite's integer Logistic, power-of-two
   input scale: the input is multiplied by 3 and the table indexed by |x| >> 9) */
static void sigmoid16(int16_t *v, int32_t n)
{
    int32_t i;
    for (i = 0; i < n; i++) {
        const int32_t x = 3 * (int32_t)v[i];
        const uint32_t ax = x < 0 ? (uint32_t)-x : (uint32_t)x, idx = ax >> 9;
        uint32_t r;
        if (idx >= 255)
            r = 0x7FFFu << 10;
        else
            r = ((uint32_t)sigmoid_q16[idx] << 9) + (ax & 0x1FFu) * (uint32_t)(sigmoid_q16[idx + 1] - sigmoid_q16[idx]);
        r = x >= 0 ? r + (1u << 9) : (1u << 25) - r + (1u << 9) - 1u;
        v[i] = (int16_t)(r >> 10);
    }
}

/* int16 tanh with the input at 2^power, output in Q0.15 (TFLite's integer Tanh: the input is
   brought to 3 * 2^-12 by a shift, the table indexed by |x| >> 8; prepare bounds power) */
static void tanh16(int32_t power, const int16_t *in, int16_t *out, int32_t n)
{
    int32_t shift = 12 + power, mult = 0, i;
    if (shift < 0) {
        shift = -shift;
        mult = 3;
    } else {
        mult = (int32_t)(3u << shift);
        shift = 0;
    }
    for (i = 0; i < n; i++) {
        const int64_t round = shift > 0 ? (int64_t)1 << (shift - 1) : 0;
        const int32_t x = (int32_t)(uint32_t)(uint64_t)(((int64_t)in[i] * mult + round) >> shift);
        const uint32_t ax = x < 0 ? 0u - (uint32_t)x : (uint32_t)x, idx = ax >> 8;
        int32_t r;
        if (idx >= 255)
            r = 0xFFFF << 8;
        else
            r = (int32_t)(((uint32_t)sigmoid_q16[idx] << 8) +
                          (ax & 0xFFu) * (uint32_t)(sigmoid_q16[idx + 1] - sigmoid_q16[idx]));
        r = x >= 0 ? r - (1 << 23) + (1 << 7) : -r + (1 << 23) + (1 << 7) - 1;
        out[i] = (int16_t)(r >> 8);
    }
}

/* one FC of a gate: rows x n_state outputs at 2^-12, saturated to int16 */
static void gate_fc(const lstm_data_t *d, const void *x, int32_t x_off, int32_t depth, const int8_t *w,
                    int32_t w_off, const void *bias, lstm_scale_t sc, int32_t rows, int16_t *out)
{
    int32_t r, s, k;
    for (r = 0; r < rows; r++) {
        for (s = 0; s < d->n_state; s++) {
            const int8_t *wr = w + s * depth;
            int32_t v;
            if (d->wide) {
                const int16_t *xr = (const int16_t *)x + r * depth;
                uint64_t acc = bias ? (uint64_t)((const int64_t *)bias)[s] : 0;
                for (k = 0; k < depth; k++)
                    acc += (uint64_t)(int64_t)(((int32_t)wr[k] + w_off) * ((int32_t)xr[k] + x_off));
                v = mbqm64((int64_t)acc, sc.mult, sc.shift);
            } else {
                const int8_t *xr = (const int8_t *)x + r * depth;
                uint32_t acc = bias ? (uint32_t)((const int32_t *)bias)[s] : 0;
                for (k = 0; k < depth; k++)
                    acc += (uint32_t)(((int32_t)wr[k] + w_off) * ((int32_t)xr[k] + x_off));
                v = tfl_mbqm((int32_t)acc, sc.mult, sc.shift);
            }
            out[r * d->n_state + s] = sat16(v);
        }
    }
}

/* gate g: FC(input) + FC(hidden), saturated, then its activation */
static void gate(tfl_interp_t *ip, const tfl_node_t *n, const lstm_data_t *d, int32_t g, const void *x,
                 const void *h, int32_t rows, int16_t *out, int16_t *tmp)
{
    const tfl_tensor_t *wi = tfl_node_input(ip, n, IN_W_INPUT + g), *wr = tfl_node_input(ip, n, IN_W_REC + g);
    const tfl_tensor_t *b = tfl_node_input(ip, n, IN_BIAS + g);
    const int32_t count = rows * d->n_state;
    int32_t i;
    gate_fc(d, x, d->x_off, d->n_input, (const int8_t *)wi->data, d->w_in_off[g], b->data, d->fc_in[g], rows, out);
    gate_fc(d, h, d->h_off, d->n_state, (const int8_t *)wr->data, d->w_rec_off[g], 0, d->fc_rec[g], rows, tmp);
    for (i = 0; i < count; i++)
        out[i] = sat16((int32_t)out[i] + (int32_t)tmp[i]);
    if (g == G_CELL)
        tanh16(-12, out, out, count);
    else
        sigmoid16(out, count);
}

static int32_t mul_q(int32_t a, int32_t b, lstm_scale_t sc)
{
    return tfl_mbqm(a * b, sc.mult, sc.shift);
}

/* one time step for `rows` batch rows */
static void step(tfl_interp_t *ip, const tfl_node_t *n, const lstm_data_t *d, const void *x, void *h,
                 int16_t *cell, void *y, int32_t rows)
{
    int16_t *forget = d->buf[0], *input = d->buf[1], *cgate = d->buf[2], *tmp = d->buf[3];
    const int32_t count = rows * d->n_state, esize = d->wide ? 2 : 1;
    int32_t i;
    gate(ip, n, d, G_FORGET, x, h, rows, forget, tmp);
    gate(ip, n, d, G_INPUT, x, h, rows, input, tmp);
    gate(ip, n, d, G_CELL, x, h, rows, cgate, tmp);
    for (i = 0; i < count; i++) {
        const int32_t kept = sat16(mul_q(forget[i], cell[i], d->mul_forget));
        const int32_t added = sat16(mul_q(input[i], cgate[i], d->mul_input));
        int32_t c = sat16(kept + added);
        if (d->cell_clip > 0)
            c = tfl_clamp(c, -d->cell_clip, d->cell_clip);
        cell[i] = (int16_t)c;
    }
    gate(ip, n, d, G_OUTPUT, x, h, rows, input, tmp);
    tanh16(d->cell_power, cell, forget, count);
    for (i = 0; i < count; i++) {
        const int32_t p = (int32_t)((uint32_t)mul_q(forget[i], input[i], d->mul_hidden) + (uint32_t)d->h_zp);
        const int32_t v = tfl_clamp(p, d->h_lo, d->h_hi);
        if (d->wide)
            ((int16_t *)h)[i] = (int16_t)v;
        else
            ((int8_t *)h)[i] = (int8_t)v;
    }
    memcpy(y, h, (size_t)count * (size_t)esize);
}

static tfl_status_t eval(tfl_interp_t *ip, tfl_node_t *n)
{
    const lstm_data_t *d = (const lstm_data_t *)n->data;
    const tfl_tensor_t *in = tfl_node_input(ip, n, IN_X), *out = tfl_node_output(ip, n, 0);
    tfl_tensor_t *h = tfl_node_input(ip, n, IN_HIDDEN), *c = tfl_node_input(ip, n, IN_CELL);
    const int32_t esize = d->wide ? 2 : 1;
    const uint8_t *x = (const uint8_t *)in->data;
    uint8_t *y = (uint8_t *)out->data, *hs = (uint8_t *)h->data;
    int16_t *cs = (int16_t *)c->data;
    int32_t b, t;
    if (d->time_major) {
        const int32_t xs = d->batch * d->n_input * esize, ys = d->batch * d->n_state * esize;
        for (t = 0; t < d->steps; t++)
            step(ip, n, d, x + t * xs, hs, cs, y + t * ys, d->batch);
    } else {
        for (b = 0; b < d->batch; b++)
            for (t = 0; t < d->steps; t++)
                step(ip, n, d, x + (b * d->steps + t) * d->n_input * esize, hs + b * d->n_state * esize,
                     cs + b * d->n_state, y + (b * d->steps + t) * d->n_state * esize, 1);
    }
    return TFL_OK;
}

/* TFLM's CheckedLog2 result: log2 in single precision, rounded */
static int32_t rounded_log2(float x)
{
    return (int32_t)roundf(logf(x) * (1.0f / logf(2.0f)));
}

static int bad_scale(tfl_interp_t *ip, double real, lstm_scale_t *sc, int wide)
{
    if (tfl_quantize_multiplier(real, &sc->mult, &sc->shift))
        return 1;
    (void)ip;
    return wide && sc->shift > 7; /* the 64-bit rescale needs shift < 8 */
}

static tfl_status_t check_weights(tfl_interp_t *ip, const tfl_tensor_t *w, int32_t rows, int32_t cols)
{
    tfl_status_t s;
    if ((s = tfl_check_type(ip, w, TFL_TYPE_INT8)) != TFL_OK)
        return s;
    if (w->nscales != 1) /* per-tensor only: TFLM's LSTM uses one multiplier per FC */
        return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE, tfl_tensor_index(ip, w));
    if (w->ndim != 2 || w->dims[0] != rows || w->dims[1] != cols)
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, w));
    return TFL_OK;
}

static tfl_status_t prepare(tfl_interp_t *ip, tfl_node_t *n)
{
    tfl_tensor_t *in, *h, *c, *out;
    /* TFLM's fixed gate scales: 2^-12 into the activations, 2^-15 out of them.  Exact powers
       of two: with TFLM's older decimal constant 0.00003051757f (just below 2^-15) the forget
       product of a clipped cell state rounds a tie the other way (measured against TFLM) */
    const float gate_in_scale = 1.0f / 4096.0f, gate_out_scale = 1.0f / 32768.0f;
    lstm_data_t *d;
    tfl_status_t s;
    uint8_t act_type, bias_type;
    float clip;
    int32_t g, i, rows;

    if (n->n_inputs != IN_COUNT || n->n_outputs != 1)
        return tfl_fail(ip, TFL_ERR_BAD_PARAMS, -1);
    if ((s = tfl_require_options(ip, n, LSTM_OPTIONS)) != TFL_OK)
        return s;
    in = tfl_node_input(ip, n, IN_X);
    h = tfl_node_input(ip, n, IN_HIDDEN);
    c = tfl_node_input(ip, n, IN_CELL);
    out = tfl_node_output(ip, n, 0);
    if (in == 0 || h == 0 || c == 0)
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, in == 0 ? -1 : tfl_tensor_index(ip, in));
    /* the variants TFLM's kernel refuses: CIFG, peephole, projection, layer norm */
    for (i = 0; i < IN_COUNT; i++) {
        const int optional = (i >= IN_PEEPHOLE && i < IN_BIAS) || i == IN_PROJ_W || i == IN_PROJ_B ||
                             i >= IN_LAYER_NORM;
        const tfl_tensor_t *t = tfl_node_input(ip, n, (uint32_t)i);
        if (optional && t != 0)
            return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE, n->inputs[i]);
        if (!optional && t == 0)
            return tfl_fail(ip, TFL_ERR_BAD_SHAPE, -1);
    }
    act_type = in->type;
    if (act_type != TFL_TYPE_INT8 && act_type != TFL_TYPE_INT16)
        return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE, tfl_tensor_index(ip, in));
    bias_type = act_type == TFL_TYPE_INT8 ? TFL_TYPE_INT32 : TFL_TYPE_INT64;
    if ((s = tfl_check_type(ip, h, act_type)) || (s = tfl_check_type(ip, out, act_type)) ||
        (s = tfl_check_type(ip, c, TFL_TYPE_INT16)))
        return s;
    if (!h->is_variable || !c->is_variable)
        return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE, tfl_tensor_index(ip, h->is_variable ? c : h));
    if (!(in->scale > 0.0f) || !(h->scale > 0.0f) || !(c->scale > 0.0f) || !(out->scale > 0.0f))
        return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE,
                        tfl_tensor_index(ip, !(in->scale > 0.0f) ? in : !(h->scale > 0.0f) ? h : !(c->scale > 0.0f) ? c : out));
    /* the options: cell activation (must be tanh), cell clip, projection clip, time major */
    if (tfl_opt_i32(ip, n, 0, 1, 0) != LSTM_ACT_TANH)
        return tfl_fail(ip, TFL_ERR_BAD_PARAMS, -1);
    if (in->ndim != 3 || h->ndim != 2 || out->ndim != 3)
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, in->ndim != 3 ? in : h->ndim != 2 ? h : out));

    d = (lstm_data_t *)tfl_alloc_persistent(ip, sizeof(lstm_data_t));
    if (d == 0)
        return TFL_ERR_ARENA_TOO_SMALL;
    memset(d, 0, sizeof(*d));
    d->time_major = tfl_opt_i32(ip, n, 3, 1, 0) != 0;
    d->wide = act_type == TFL_TYPE_INT16;
    d->batch = d->time_major ? in->dims[1] : in->dims[0];
    d->steps = d->time_major ? in->dims[0] : in->dims[1];
    d->n_input = in->dims[2];
    d->n_state = h->dims[1];
    if (tfl_num_elements(h) != (uint64_t)d->batch * (uint64_t)d->n_state)
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, h));
    if (tfl_num_elements(c) != (uint64_t)d->batch * (uint64_t)d->n_state)
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, c));
    if (out->dims[0] != in->dims[0] || out->dims[1] != in->dims[1] || out->dims[2] != d->n_state)
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, out));

    d->x_off = -in->zero_point;
    d->h_off = -h->zero_point;
    d->h_zp = h->zero_point;
    d->h_lo = d->wide ? -32768 : -128;
    d->h_hi = d->wide ? 32767 : 127;
    for (g = 0; g < 4; g++) {
        const tfl_tensor_t *wi = tfl_node_input(ip, n, (uint32_t)(IN_W_INPUT + g));
        const tfl_tensor_t *wr = tfl_node_input(ip, n, (uint32_t)(IN_W_REC + g));
        const tfl_tensor_t *b = tfl_node_input(ip, n, (uint32_t)(IN_BIAS + g));
        if ((s = check_weights(ip, wi, d->n_state, d->n_input)) || (s = check_weights(ip, wr, d->n_state, d->n_state)) ||
            (s = tfl_check_type(ip, b, bias_type)))
            return s;
        if (b->ndim != 1 || b->dims[0] != d->n_state)
            return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, b));
        d->w_in_off[g] = -wi->zero_point;
        d->w_rec_off[g] = -wr->zero_point;
        /* TFLite's GetQuantizedConvolutionMultipler: the scale product in single precision */
        if (bad_scale(ip, (double)(in->scale * wi->scale) / (double)gate_in_scale, &d->fc_in[g], d->wide) ||
            bad_scale(ip, (double)(h->scale * wr->scale) / (double)gate_in_scale, &d->fc_rec[g], d->wide))
            return tfl_fail(ip, TFL_ERR_BAD_PARAMS, tfl_tensor_index(ip, wi));
    }
    if (bad_scale(ip, (double)gate_out_scale * (double)c->scale / (double)c->scale, &d->mul_forget, 0) ||
        bad_scale(ip, (double)gate_out_scale * (double)gate_out_scale / (double)c->scale, &d->mul_input, 0) ||
        bad_scale(ip, (double)gate_out_scale * (double)gate_out_scale / (double)h->scale, &d->mul_hidden, 0))
        return tfl_fail(ip, TFL_ERR_BAD_PARAMS, tfl_tensor_index(ip, c));
    d->cell_power = rounded_log2(c->scale);
    /* tanh of the cell shifts it to 2^-12 by 12 + power bits: keep that shift in range */
    if (d->cell_power < -42 || d->cell_power > 18)
        return tfl_fail(ip, TFL_ERR_BAD_PARAMS, tfl_tensor_index(ip, c));
    clip = tfl_opt_f32(ip, n, 1, 0.0f);
    if (clip > 0.0f) {
        double q = (double)clip / (double)c->scale;
        d->cell_clip = (int32_t)(int16_t)(q < -32768.0 ? -32768.0 : q > 32767.0 ? 32767.0 : q);
    }
    rows = d->time_major ? d->batch : 1;
    for (i = 0; i < 4; i++) {
        d->buf[i] = (int16_t *)tfl_alloc_persistent(ip, (uint32_t)(rows * d->n_state) * sizeof(int16_t));
        if (d->buf[i] == 0)
            return TFL_ERR_ARENA_TOO_SMALL;
    }
    n->data = d;
    return TFL_OK;
}

const tfl_kernel_t tfl_ref_unidirectional_sequence_lstm = {TFL_OP_UNIDIRECTIONAL_SEQUENCE_LSTM, prepare, eval};
