/* Helpers of act_common.h. */
#include <math.h>

#include "act_common.h"

const uint16_t tfl_ref_sigmoid_q16[256] = {
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

void tfl_ref_lut16_fill(float (*f)(float), float lo, float hi, int16_t *lut)
{
    /* 512 steps over [lo, hi]; entry i is f(lo + i*step) in Q0.15, biased by half the
     * error linear interpolation makes at the step's midpoint; entry 512 is f(hi). */
    const float step = (hi - lo) / 512.0f, half = step / 2.0f, k = 32768.0f;
    int32_t i;
    for (i = 0; i < 512; i++) {
        const float v = f(lo + (float)i * step);
        const float vm = f(lo + (float)i * step + half);
        const float vn = f(lo + (float)(i + 1) * step);
        const float sample = roundf(v * k);
        const float interp = roundf((vn * k + roundf(v * k)) / 2.0f);
        const float bias = roundf((interp - roundf(vm * k)) / 2.0f);
        float r = sample - bias;
        r = r < -32768.0f ? -32768.0f : (r > 32767.0f ? 32767.0f : r);
        lut[i] = (int16_t)r;
    }
    {
        float r = roundf(f(hi) * k);
        r = r < -32768.0f ? -32768.0f : (r > 32767.0f ? 32767.0f : r);
        lut[512] = (int16_t)r;
    }
}

int16_t tfl_ref_lut16_lookup(int16_t x, const int16_t *lut)
{
    /* top 9 bits index, low 7 bits interpolate */
    const int32_t idx = 256 + (x >> 7), frac = x & 0x7f;
    const int32_t base = lut[idx], slope = lut[idx + 1] - lut[idx];
    return (int16_t)(base + ((slope * frac + 64) >> 7));
}

/* exp on [-1/4, 0), Q0.31 in and out. */
static int32_t exp_quarter(int32_t a)
{
    const int32_t e_minus_eighth = 1895147668, third = 715827883;
    const int32_t x = tfl_fx_add(a, 1 << 28);
    const int32_t x2 = tfl_srdhm(x, x), x3 = tfl_srdhm(x2, x), x4 = tfl_srdhm(x2, x2);
    const int32_t p = tfl_fx_mul_pot(tfl_fx_add(tfl_srdhm(tfl_fx_add(tfl_fx_mul_pot(x4, -2), x3), third), x2), -1);
    return tfl_fx_add(e_minus_eighth, tfl_srdhm(e_minus_eighth, tfl_fx_add(x, p)));
}

int32_t tfl_fx_exp_neg(int32_t a, int32_t int_bits)
{
    /* exp(-2^k) in Q0.31, k = -2 .. 4 */
    static const int32_t barrel[7] = {1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242};
    const int32_t frac = 31 - int_bits, quarter = 1 << (frac - 2);
    const int32_t mq = tfl_fx_sub(a & (quarter - 1), quarter);
    const int32_t rem = tfl_fx_sub(mq, a);
    int32_t r = exp_quarter(tfl_fx_mul_pot(mq, int_bits)), k;
    for (k = -2; k <= 4; k++)
        if (int_bits > k && (rem & (1 << (frac + k))))
            r = tfl_srdhm(r, barrel[k + 2]);
    return a == 0 ? INT32_MAX : r;
}

int32_t tfl_fx_one_minus_x_over_one_plus_x(int32_t a)
{
    const int32_t c48_17 = 1515870810, cm32_17 = -1010580540, one_q2 = 1 << 29;
    const int64_t s = (int64_t)a + INT32_MAX;
    const int32_t hd = (int32_t)((s + (s >= 0 ? 1 : -1)) / 2);
    int32_t x = tfl_fx_add(c48_17, tfl_srdhm(hd, cm32_17)), i;
    for (i = 0; i < 3; i++)
        x = tfl_fx_add(x, tfl_fx_mul_pot(tfl_srdhm(x, tfl_fx_sub(one_q2, tfl_srdhm(hd, x))), 2));
    return tfl_fx_mul_pot(tfl_fx_sub(x, one_q2), 2);
}

int32_t tfl_fx_one_over_one_plus_x(int32_t a)
{
    const int32_t c48_17 = 1515870810, cm32_17 = -1010580540, one_q2 = 1 << 29;
    const int64_t s = (int64_t)a + INT32_MAX;
    const int32_t hd = (int32_t)((s + (s >= 0 ? 1 : -1)) / 2);
    int32_t x = tfl_fx_add(c48_17, tfl_srdhm(hd, cm32_17)), i;
    for (i = 0; i < 3; i++)
        x = tfl_fx_add(x, tfl_fx_mul_pot(tfl_srdhm(x, tfl_fx_sub(one_q2, tfl_srdhm(hd, x))), 2));
    return tfl_fx_mul_pot(x, 1); /* Q2.29 halved (Q1.30, same bits) rescaled to Q0.31 */
}

int32_t tfl_ref_clz32(uint32_t x)
{
    int32_t k = 0;
    if (x == 0)
        return 32;
    while (!(x & 0x80000000u)) {
        x <<= 1;
        k++;
    }
    return k;
}

static int32_t sat_add32(int32_t a, int32_t b)
{
    const int64_t s = (int64_t)a + b;
    return s > INT32_MAX ? INT32_MAX : (s < INT32_MIN ? INT32_MIN : (int32_t)s);
}

int32_t tfl_fx_log_q12_to_q5(int32_t x)
{
    /* Range reduction to r in [sqrt(1/2), 1) times 2^k (of two candidate normalisations, the
     * one with the smaller r), then a rational approximation of log(r) around 2^-1/4; the sum
     * is accumulated with 6 integer bits and rescaled to 5. */
    const int32_t in_bits = 12, acc_bits = 6;
    const int32_t log_2 = 1488522236, sqrt_sqrt_half = 1805811301, sqrt_half = 1518500250;
    const int32_t alpha_n = 117049297, alpha_d = 127690142, alpha_i = 1057819769, alpha_f = 638450708;
    const int32_t quarter_acc = 1 << (31 - acc_bits - 2);
    const int32_t ha = tfl_ref_clz32((uint32_t)x);
    const int32_t ra = tfl_fx_mul_pot(tfl_srdhm(tfl_fx_mul_pot(x, ha - 1), sqrt_half), 1);
    const int32_t pa = sat_add32(tfl_fx_mul_pot(in_bits - ha, 31 - acc_bits), quarter_acc);
    const int32_t zb = tfl_srdhm(x, sqrt_half);
    const int32_t hb = tfl_ref_clz32((uint32_t)zb) - 1;
    const int32_t rb = tfl_fx_mul_pot(x, hb);
    const int64_t pb64 = (int64_t)tfl_fx_mul_pot(in_bits - hb, 31 - acc_bits) - quarter_acc;
    const int32_t pb = pb64 < INT32_MIN ? INT32_MIN : (int32_t)pb64;
    const int32_t r = ra < rb ? ra : rb, pow2 = pa > pb ? pa : pb;
    const int64_t hs = (int64_t)r + sqrt_sqrt_half;
    const int32_t p = (int32_t)((hs + (hs >= 0 ? 1 : -1)) / 2);
    int32_t q = tfl_fx_sub(r, sqrt_sqrt_half), sq, num, den, recip;
    q = tfl_fx_add(q, q);
    sq = tfl_srdhm(q, q);
    num = tfl_fx_add(tfl_srdhm(q, r), tfl_srdhm(tfl_srdhm(q, sq), alpha_n));
    den = tfl_fx_add(tfl_srdhm(p, tfl_fx_add(tfl_fx_add(alpha_i, q), tfl_srdhm(alpha_d, sq))), tfl_srdhm(alpha_f, q));
    recip = tfl_fx_one_over_one_plus_x(den);
    return tfl_fx_mul_pot(tfl_fx_add(tfl_srdhm(pow2, log_2), tfl_srdhm(tfl_rdbpot(num, acc_bits), recip)), 1);
}

int32_t tfl_fx_tanh(int32_t a, int32_t int_bits)
{
    /* tanh|a| = (1 - e^(-2|a|)) / (1 + e^(-2|a|)); -|a| read with one more integer bit is -2|a| */
    const int32_t n = a < 0 ? a : -a;
    const int32_t t = tfl_fx_one_minus_x_over_one_plus_x(tfl_fx_exp_neg(n, int_bits + 1));
    if (a == 0)
        return 0;
    return a < 0 ? -t : t;
}

int32_t tfl_ref_input_radius(int32_t int_bits, int32_t left_shift)
{
    const double m = (double)((1 << int_bits) - 1) * (double)(1LL << (31 - int_bits)) / ldexp(1.0, left_shift);
    return m >= 2147483647.0 ? INT32_MAX : (int32_t)floor(m); /* tiny scales: nothing saturates */
}

int tfl_ref_checked_log2(float scale, int32_t *log2_out)
{
    const float l = logf(scale) * (1.0f / logf(2.0f));
    const float r = roundf(l);
    *log2_out = (int32_t)r;
    return fabsf(l - r) < 1e-3f;
}
