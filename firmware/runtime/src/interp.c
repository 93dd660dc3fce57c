/*
 * Interpreter: parses the model into tensor/node tables at the arena tail, resolves and
 * prepares each op, plans activations at the arena head, and runs the graph.
 */
#include <string.h>

#include "tfl/fb.h"
#include "tfl/kernel.h"
#include "tfl/tfl.h"

#define TFL_ARENA_ALIGN 16u
#define TFL_PLAN_LIMIT 0xfffffff0u /* the largest offset a (failing) plan records */
#define TFL_OP_CUSTOM 32

const char *tfl_status_name(tfl_status_t s)
{
    switch (s) {
    case TFL_OK: return "ok";
    case TFL_ERR_MODEL: return "malformed model";
    case TFL_ERR_VERSION: return "unsupported model version";
    case TFL_ERR_UNSUPPORTED_OP: return "unsupported op";
    case TFL_ERR_UNSUPPORTED_TYPE: return "unsupported tensor type";
    case TFL_ERR_ARENA_TOO_SMALL: return "arena too small";
    case TFL_ERR_INPUT_SHAPE: return "wrong input shape";
    case TFL_ERR_BAD_SHAPE: return "inconsistent shapes";
    case TFL_ERR_BAD_PARAMS: return "invalid op parameters";
    case TFL_ERR_ALIGNMENT: return "misaligned data";
    case TFL_ERR_STATE: return "interpreter not initialised";
    }
    return "unknown";
}

static uint32_t type_size(uint8_t type)
{
    switch (type) {
    case TFL_TYPE_FLOAT32: case TFL_TYPE_INT32: return 4;
    case TFL_TYPE_INT16: return 2;
    case TFL_TYPE_INT8: case TFL_TYPE_UINT8: case 6 /* BOOL */: return 1;
    case TFL_TYPE_INT64: return 8;
    default: return 0;
    }
}

static tfl_status_t model_error(tfl_interp_t *ip, const tfl_fb_t *fb)
{
    ip->error.code = TFL_ERR_MODEL;
    ip->error.detail = fb->bad_pos;
    return TFL_ERR_MODEL;
}

/* Copy a validated int32 vector of tensor indices into the tail. */
static tfl_status_t copy_indices(tfl_interp_t *ip, tfl_fb_t *fb, const tfl_fb_vec_t *v, const int32_t **out,
                                 int allow_absent)
{
    int32_t *dst;
    uint32_t i;
    *out = 0;
    if (v->count == 0)
        return TFL_OK;
    dst = (int32_t *)tfl_alloc_persistent(ip, 4 * v->count);
    if (dst == 0)
        return TFL_ERR_ARENA_TOO_SMALL;
    for (i = 0; i < v->count; i++) {
        int32_t t = (int32_t)tfl_rd_u32(fb->buf + v->pos + 4 * i);
        if (t >= (int32_t)ip->ntensors || t < (allow_absent ? -1 : 0)) {
            fb->bad_pos = v->pos + 4 * i;
            return model_error(ip, fb);
        }
        dst[i] = t;
    }
    *out = dst;
    return TFL_OK;
}

static tfl_status_t parse_tensor(tfl_interp_t *ip, tfl_fb_t *fb, const tfl_fb_vec_t *buffers,
                                 const tfl_fb_table_t *tt, uint32_t index)
{
    tfl_tensor_t *t = &ip->tensors[index];
    tfl_fb_vec_t shape, scales, zps, data;
    tfl_fb_table_t quant, buf;
    uint32_t type, buffer_index, is_var, i, esize, count = 1;
    int32_t qdim;
    uint64_t big_off;

    memset(t, 0, sizeof(*t));
    if (tfl_fb_vector(fb, tt, 0, 4, &shape) || tfl_fb_u32(fb, tt, 1, 1, 0, &type) ||
        tfl_fb_u32(fb, tt, 2, 4, 0, &buffer_index) || tfl_fb_table(fb, tt, 4, &quant) ||
        tfl_fb_u32(fb, tt, 5, 1, 0, &is_var))
        return model_error(ip, fb);
    t->type = (uint8_t)type;
    t->is_variable = (uint8_t)(is_var != 0);
    esize = type_size(t->type);
    if (esize == 0 || type > 255)
        return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE, (int32_t)index);
    if (shape.count > TFL_MAX_DIMS)
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, (int32_t)index);
    t->ndim = (uint8_t)shape.count;
    for (i = 0; i < shape.count; i++) {
        int32_t d = (int32_t)tfl_rd_u32(fb->buf + shape.pos + 4 * i);
        /* a zero dimension (an empty tensor, e.g. an LSTM's unused intermediates) is
           accepted here; ops refuse empty operands in parse_model */
        if (d < 0 || (count != 0 && (uint32_t)d > 0x7fffffffu / esize / count))
            return tfl_fail(ip, TFL_ERR_BAD_SHAPE, (int32_t)index);
        t->dims[i] = d;
        count *= (uint32_t)d;
    }
    t->bytes = count * esize;

    if (quant.pos != 0) {
        if (tfl_fb_vector(fb, &quant, 2, 4, &scales) || tfl_fb_vector(fb, &quant, 3, 8, &zps) ||
            tfl_fb_i32(fb, &quant, 6, 4, 0, &qdim))
            return model_error(ip, fb);
        if (scales.count > 0) {
            /* one zero point may stand for all channels (TFLM reads it so) */
            if (zps.count > 1 && zps.count != scales.count)
                return tfl_fail(ip, TFL_ERR_BAD_SHAPE, (int32_t)index);
            /* TFLM does not check the quantized dimension when it reads a tensor (converted models
               carry e.g. a bias with quantized_dimension 3); kernels that use per-channel scales
               refuse a dimension marked -1 here: out of range or not of the scales' length */
            if (scales.count > 1 && (qdim < 0 || qdim >= t->ndim || (uint32_t)t->dims[qdim] != scales.count))
                qdim = -1;
            t->nscales = scales.count;
            t->scales = fb->buf + scales.pos;
            t->nzps = zps.count;
            t->zero_points = zps.count ? fb->buf + zps.pos : 0;
            t->qdim = qdim;
            t->scale = tfl_scale_at(t, 0);
            t->zero_point = tfl_zero_point_at(t, 0);
            for (i = 0; i < scales.count; i++) {
                float sc = tfl_scale_at(t, i);
                int64_t zp = zps.count ? tfl_rd_i64(t->zero_points + 8 * (zps.count > 1 ? i : 0)) : 0;
                int64_t lo = t->type == TFL_TYPE_INT8 ? -128 : t->type == TFL_TYPE_UINT8 ? 0
                             : t->type == TFL_TYPE_INT16 ? -32768 : 0;
                int64_t hi = t->type == TFL_TYPE_INT8 ? 127 : t->type == TFL_TYPE_UINT8 ? 255
                             : t->type == TFL_TYPE_INT16 ? 32767 : 0;
                /* scales must be positive and finite; zero points must fit the type */
                if (!(sc > 0.0f) || sc > 3.0e38f || zp < lo || zp > hi)
                    return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE, (int32_t)index);
            }
        }
    }

    if (buffer_index >= buffers->count) {
        fb->bad_pos = tt->pos;
        return model_error(ip, fb);
    }
    if (tfl_fb_vec_table(fb, buffers, buffer_index, &buf) || tfl_fb_vector(fb, &buf, 0, 1, &data) ||
        tfl_fb_u64(fb, &buf, 1, &big_off))
        return model_error(ip, fb);
    if (big_off != 0) { /* data outside the flatbuffer (>2 GB models) is not supported */
        fb->bad_pos = buf.pos;
        return model_error(ip, fb);
    }
    /* a variable tensor's buffer in the model is ignored: like TFLM, the runtime keeps the
       state in the arena and starts it at the zero point */
    if (data.count > 0 && !t->is_variable) {
        if (data.count != t->bytes)
            return tfl_fail(ip, TFL_ERR_BAD_SHAPE, (int32_t)index);
        t->data = (void *)(uintptr_t)(fb->buf + data.pos);
        /* 4 bytes for int64 too: TFLite's converter aligns buffers to 4 only; kernels read int64
           constants byte by byte (tfl_rd_i64) */
        if (((uintptr_t)t->data % (esize < 4u ? esize : 4u)) != 0)
            return tfl_fail(ip, TFL_ERR_ALIGNMENT, (int32_t)index);
        t->is_const = 1;
    }
    return TFL_OK;
}

static const tfl_kernel_t *resolve(const tfl_resolver_t *r, int32_t code)
{
    uint32_t i;
    if (r == 0)
        return 0;
    for (i = 0; i < r->count; i++)
        if (r->kernels[i] != 0 && r->kernels[i]->builtin_code == code)
            return r->kernels[i];
    return 0;
}

/* Resolve every op before anything else about the model is checked: an op the resolver lacks
 * is reported as such (op_index, builtin_code) even where its tensors would fail a check. */
static tfl_status_t resolve_ops(tfl_interp_t *ip, tfl_fb_t *fb, const tfl_fb_vec_t *opcodes, const tfl_fb_vec_t *ops)
{
    uint32_t i, opcode_index;
    int32_t dep, code;
    tfl_fb_table_t op, oc;
    for (i = 0; i < ops->count; i++) {
        if (tfl_fb_vec_table(fb, ops, i, &op) || tfl_fb_u32(fb, &op, 0, 4, 0, &opcode_index))
            return model_error(ip, fb);
        if (opcode_index >= opcodes->count) {
            fb->bad_pos = op.pos;
            return model_error(ip, fb);
        }
        if (tfl_fb_vec_table(fb, opcodes, opcode_index, &oc) || tfl_fb_i32(fb, &oc, 0, 1, 0, &dep) ||
            tfl_fb_i32(fb, &oc, 3, 4, 0, &code))
            return model_error(ip, fb);
        code = code > dep ? code : dep;
        if (code == TFL_OP_CUSTOM || resolve(ip->resolver, code) == 0) {
            ip->error.code = TFL_ERR_UNSUPPORTED_OP;
            ip->error.op_index = (int32_t)i;
            ip->error.builtin_code = code;
            return TFL_ERR_UNSUPPORTED_OP;
        }
    }
    return TFL_OK;
}

static tfl_status_t parse_model(tfl_interp_t *ip, tfl_fb_t *fb)
{
    tfl_fb_table_t root, sg, tt;
    tfl_fb_vec_t opcodes, subgraphs, buffers, tensors, sg_in, sg_out, ops;
    uint32_t version, i;
    tfl_status_t s;

    if (tfl_fb_root(fb, &root) || tfl_fb_u32(fb, &root, 0, 4, 0, &version) ||
        tfl_fb_vector(fb, &root, 1, 4, &opcodes) || tfl_fb_vector(fb, &root, 2, 4, &subgraphs) ||
        tfl_fb_vector(fb, &root, 4, 4, &buffers))
        return model_error(ip, fb);
    if (version != 3 || subgraphs.count < 1) {
        ip->error.code = TFL_ERR_VERSION;
        ip->error.detail = version;
        return TFL_ERR_VERSION;
    }
    if (tfl_fb_vec_table(fb, &subgraphs, 0, &sg) || tfl_fb_vector(fb, &sg, 0, 4, &tensors) ||
        tfl_fb_vector(fb, &sg, 1, 4, &sg_in) || tfl_fb_vector(fb, &sg, 2, 4, &sg_out) ||
        tfl_fb_vector(fb, &sg, 3, 4, &ops))
        return model_error(ip, fb);
    if ((s = resolve_ops(ip, fb, &opcodes, &ops)) != TFL_OK)
        return s;

    ip->ntensors = tensors.count;
    ip->nnodes = ops.count;
    ip->tensors = (tfl_tensor_t *)tfl_alloc_persistent(ip, sizeof(tfl_tensor_t) * tensors.count);
    ip->nodes = (tfl_node_t *)tfl_alloc_persistent(ip, sizeof(tfl_node_t) * ops.count);
    if ((tensors.count && ip->tensors == 0) || (ops.count && ip->nodes == 0))
        return TFL_ERR_ARENA_TOO_SMALL;

    for (i = 0; i < tensors.count; i++) {
        if (tfl_fb_vec_table(fb, &tensors, i, &tt))
            return model_error(ip, fb);
        if ((s = parse_tensor(ip, fb, &buffers, &tt, i)) != TFL_OK)
            return s;
    }
    if ((s = copy_indices(ip, fb, &sg_in, &ip->inputs, 0)) != TFL_OK ||
        (s = copy_indices(ip, fb, &sg_out, &ip->outputs, 0)) != TFL_OK)
        return s;
    ip->ninputs = sg_in.count;
    ip->noutputs = sg_out.count;
    for (i = 0; i < ip->ninputs; i++) /* inputs are written by tfl_set_input */
        if (ip->tensors[ip->inputs[i]].is_const || ip->tensors[ip->inputs[i]].bytes == 0)
            return tfl_fail(ip, TFL_ERR_BAD_SHAPE, ip->inputs[i]);
    for (i = 0; i < ip->noutputs; i++)
        if (ip->tensors[ip->outputs[i]].bytes == 0)
            return tfl_fail(ip, TFL_ERR_BAD_SHAPE, ip->outputs[i]);

    for (i = 0; i < ops.count; i++) {
        tfl_node_t *n = &ip->nodes[i];
        tfl_fb_table_t op, oc;
        tfl_fb_vec_t ins, outs;
        uint32_t opcode_index, opt_type, k;
        int32_t dep, code;

        memset(n, 0, sizeof(*n));
        ip->error.op_index = (int32_t)i;
        if (tfl_fb_vec_table(fb, &ops, i, &op) || tfl_fb_u32(fb, &op, 0, 4, 0, &opcode_index) ||
            tfl_fb_vector(fb, &op, 1, 4, &ins) || tfl_fb_vector(fb, &op, 2, 4, &outs) ||
            tfl_fb_u32(fb, &op, 3, 1, 0, &opt_type) || tfl_fb_table(fb, &op, 4, &n->options))
            return model_error(ip, fb);
        if (opcode_index >= opcodes.count || ins.count > 255 || outs.count > 255) {
            fb->bad_pos = op.pos;
            return model_error(ip, fb);
        }
        if (tfl_fb_vec_table(fb, &opcodes, opcode_index, &oc) || tfl_fb_i32(fb, &oc, 0, 1, 0, &dep) ||
            tfl_fb_i32(fb, &oc, 3, 4, 0, &code))
            return model_error(ip, fb);
        /* schema rule: the real code is the larger of the two fields */
        n->builtin_code = code > dep ? code : dep;
        ip->error.builtin_code = n->builtin_code;
        n->options_type = (uint8_t)opt_type;
        n->n_inputs = (uint8_t)ins.count;
        n->n_outputs = (uint8_t)outs.count;
        if ((s = copy_indices(ip, fb, &ins, &n->inputs, 1)) != TFL_OK ||
            (s = copy_indices(ip, fb, &outs, &n->outputs, 0)) != TFL_OK)
            return s;
        for (k = 0; k < outs.count; k++) /* kernels write their outputs: never into the model */
            if (ip->tensors[n->outputs[k]].is_const) {
                ip->error.builtin_code = n->builtin_code;
                return tfl_fail(ip, TFL_ERR_BAD_SHAPE, n->outputs[k]);
            }
        n->kernel = n->builtin_code == TFL_OP_CUSTOM ? 0 : resolve(ip->resolver, n->builtin_code);
        if (n->kernel == 0) {
            ip->error.code = TFL_ERR_UNSUPPORTED_OP;
            return TFL_ERR_UNSUPPORTED_OP;
        }
        for (k = 0; k < ins.count + outs.count; k++) { /* no kernel takes empty operands */
            int32_t ti = k < ins.count ? n->inputs[k] : n->outputs[k - ins.count];
            if (ti >= 0 && ip->tensors[ti].bytes == 0)
                return tfl_fail(ip, TFL_ERR_BAD_SHAPE, ti);
        }
    }
    ip->error.op_index = -1;
    ip->error.builtin_code = -1;
    return TFL_OK;
}

static void compute_lifetimes(tfl_interp_t *ip)
{
    uint32_t i, j;
    int32_t end = (int32_t)ip->nnodes;
    for (i = 0; i < ip->ntensors; i++) {
        ip->tensors[i].first_op = 0x7fffffff;
        ip->tensors[i].last_op = -2;
        if (ip->tensors[i].is_variable) {
            ip->tensors[i].first_op = -1;
            ip->tensors[i].last_op = end;
        }
    }
    for (i = 0; i < ip->ninputs; i++)
        ip->tensors[ip->inputs[i]].first_op = -1;
    for (i = 0; i < ip->noutputs; i++)
        ip->tensors[ip->outputs[i]].last_op = end;
    for (i = 0; i < ip->nnodes; i++) {
        const tfl_node_t *n = &ip->nodes[i];
        for (j = 0; j < (uint32_t)n->n_inputs + n->n_outputs; j++) {
            int32_t ti = j < n->n_inputs ? n->inputs[j] : n->outputs[j - n->n_inputs];
            tfl_tensor_t *t;
            if (ti < 0)
                continue;
            t = &ip->tensors[ti];
            if ((int32_t)i < t->first_op)
                t->first_op = (int32_t)i;
            if ((int32_t)i > t->last_op)
                t->last_op = (int32_t)i;
        }
    }
    for (i = 0; i < ip->ntensors; i++) {
        tfl_tensor_t *t = &ip->tensors[i];
        if (t->first_op != 0x7fffffff && t->last_op < t->first_op)
            t->last_op = t->first_op; /* graph input nobody reads: still needs a home */
    }
}

static int needs_plan(const tfl_tensor_t *t)
{
    return !t->is_const && t->first_op != 0x7fffffff && t->last_op >= -1;
}

static uint32_t aligned_size(const tfl_tensor_t *t)
{
    return (t->bytes + TFL_ARENA_ALIGN - 1) & ~(TFL_ARENA_ALIGN - 1);
}

/* True when tensor a comes before b in placement order `order`:
   0 = largest first (as TFLM), 1 = earliest first use first, larger first among equals. */
static int placed_before(const tfl_tensor_t *a, const tfl_tensor_t *b, int order)
{
    if (order == 1 && a->first_op != b->first_op)
        return a->first_op < b->first_op;
    return aligned_size(a) > aligned_size(b);
}

/*
 * Greedy plan: take tensors in `order` and put each at the lowest offset where it does not
 * overlap any already-placed tensor whose lifetime intersects its own.  Needs no memory
 * beyond the tensor table (arena_offset doubles as the placement mark).
 */
static uint32_t plan_arena_order(tfl_interp_t *ip, int order)
{
    const uint32_t unplaced = 0xffffffffu;
    uint32_t i, k;
    /* offsets in 64 bits: tensors of up to 2 GiB each must not wrap a plan past 4 GiB (the sum
       saturates; such a plan never fits an arena) */
    uint64_t total = 0;
    for (i = 0; i < ip->ntensors; i++)
        ip->tensors[i].arena_offset = unplaced;
    for (;;) {
        int32_t best = -1;
        tfl_tensor_t *t;
        uint64_t size, off;
        int moved;
        for (i = 0; i < ip->ntensors; i++) {
            const tfl_tensor_t *c = &ip->tensors[i];
            if (!needs_plan(c) || c->arena_offset != unplaced)
                continue;
            if (best < 0 || placed_before(c, &ip->tensors[best], order))
                best = (int32_t)i;
        }
        if (best < 0)
            break;
        t = &ip->tensors[best];
        size = aligned_size(t);
        off = 0;
        do {
            moved = 0;
            for (k = 0; k < ip->ntensors; k++) {
                const tfl_tensor_t *o = &ip->tensors[k];
                uint64_t o_end;
                if (!needs_plan(o) || o->arena_offset == unplaced || (int32_t)k == best)
                    continue;
                if (o->last_op < t->first_op || t->last_op < o->first_op)
                    continue; /* lifetimes disjoint */
                o_end = (uint64_t)o->arena_offset + aligned_size(o);
                if (off < o_end && o->arena_offset < off + size) {
                    off = o_end;
                    moved = 1;
                }
            }
        } while (moved);
        t->arena_offset = off > TFL_PLAN_LIMIT ? TFL_PLAN_LIMIT : (uint32_t)off;
        if (off + size > total)
            total = off + size;
    }
    return total > 0xffffffffu ? 0xffffffffu : (uint32_t)total;
}

/* Plan with both orders and keep the smaller (largest-first alone wastes 17% on MobileNet). */
static uint32_t plan_arena(tfl_interp_t *ip)
{
    uint32_t by_size = plan_arena_order(ip, 0);
    uint32_t by_start = plan_arena_order(ip, 1);
    return by_start < by_size ? by_start : plan_arena_order(ip, 0);
}

tfl_status_t tfl_init(tfl_interp_t *ip, const uint8_t *model, uint32_t model_len,
                      const tfl_resolver_t *resolver, uint8_t *arena, uint32_t arena_size)
{
    tfl_fb_t fb;
    tfl_status_t s, arena_fail = TFL_OK;
    uint32_t i, pad;

    memset(ip, 0, sizeof(*ip));
    ip->error.op_index = -1;
    ip->error.builtin_code = -1;
    ip->error.tensor_index = -1;
    ip->model = model;
    ip->model_len = model_len;
    ip->resolver = resolver;
    if (model == 0 || ((uintptr_t)model % 4u) != 0) {
        ip->error.code = model == 0 ? TFL_ERR_MODEL : TFL_ERR_ALIGNMENT;
        return ip->error.code;
    }
    /* align the arena's start and size so head and tail offsets stay aligned */
    pad = (uint32_t)((TFL_ARENA_ALIGN - ((uintptr_t)arena % TFL_ARENA_ALIGN)) % TFL_ARENA_ALIGN);
    if (arena == 0 || arena_size < pad)
        arena_size = pad = 0;
    ip->arena = arena + pad;
    ip->arena_size = (arena_size - pad) & ~7u; /* tail allocations are 8-byte multiples */

    fb.buf = model;
    fb.len = model_len;
    fb.bad_pos = 0;
    s = parse_model(ip, &fb);
    if (s == TFL_ERR_ARENA_TOO_SMALL) {
        /* metadata did not fit: only a lower bound is known */
        ip->error.code = TFL_ERR_ARENA_TOO_SMALL;
        ip->error.bytes_needed = ip->tail_requested;
        ip->error.detail = 1;
        return s;
    }
    if (s != TFL_OK)
        return s;

    compute_lifetimes(ip);
    for (i = 0; i < ip->nnodes; i++) {
        tfl_node_t *n = &ip->nodes[i];
        ip->error.op_index = (int32_t)i;
        ip->error.builtin_code = n->builtin_code;
        ip->error.code = TFL_OK;
        s = n->kernel->prepare ? n->kernel->prepare(ip, n) : TFL_OK;
        if (s == TFL_ERR_ARENA_TOO_SMALL) {
            arena_fail = s; /* keep going to learn the full size */
            continue;
        }
        if (s != TFL_OK) {
            ip->error.code = s;
            return s;
        }
    }
    ip->error.op_index = -1;
    ip->error.builtin_code = -1;
    ip->error.tensor_index = -1;
    ip->plan_bytes = plan_arena(ip);
    /* exact for a 16-byte aligned arena; a misaligned one loses `pad` bytes */
    {
        uint64_t needed = (uint64_t)ip->plan_bytes + ip->tail_requested;
        ip->error.bytes_needed = needed > 0xffffffffu ? 0xffffffffu : (uint32_t)needed;
    }
    if (arena_fail != TFL_OK || (uint64_t)ip->plan_bytes + ip->tail_used > ip->arena_size) {
        ip->error.code = TFL_ERR_ARENA_TOO_SMALL;
        return TFL_ERR_ARENA_TOO_SMALL;
    }
    for (i = 0; i < ip->ntensors; i++) {
        tfl_tensor_t *t = &ip->tensors[i];
        if (needs_plan(t))
            t->data = ip->arena + t->arena_offset;
        /* state starts at real zero: the zero point for int8 (as TFLM and LiteRT reset
           variable tensors), 0 for the other types */
        if (t->is_variable && t->data)
            memset(t->data, t->type == TFL_TYPE_INT8 ? (int)(uint8_t)t->zero_point : 0, t->bytes);
    }
    ip->error.code = TFL_OK;
    ip->ready = 1;
    return TFL_OK;
}

uint32_t tfl_arena_used(const tfl_interp_t *ip)
{
    return ip->error.bytes_needed;
}

tfl_status_t tfl_invoke(tfl_interp_t *ip)
{
    uint32_t i;
    if (!ip->ready) {
        ip->error.code = TFL_ERR_STATE;
        return TFL_ERR_STATE;
    }
    for (i = 0; i < ip->nnodes; i++) {
        tfl_node_t *n = &ip->nodes[i];
        tfl_status_t s;
        if (ip->trace)
            ip->trace(ip->trace_user, (int32_t)i, n->builtin_code, 0);
        s = n->kernel->eval(ip, n);
        if (ip->trace)
            ip->trace(ip->trace_user, (int32_t)i, n->builtin_code, 1);
        if (s != TFL_OK) {
            ip->error.code = s;
            ip->error.op_index = (int32_t)i;
            ip->error.builtin_code = n->builtin_code;
            return s;
        }
    }
    return TFL_OK;
}

tfl_tensor_t *tfl_input(tfl_interp_t *ip, uint32_t i)
{
    return (ip->ready && i < ip->ninputs) ? &ip->tensors[ip->inputs[i]] : 0;
}

tfl_tensor_t *tfl_output(tfl_interp_t *ip, uint32_t i)
{
    return (ip->ready && i < ip->noutputs) ? &ip->tensors[ip->outputs[i]] : 0;
}

tfl_status_t tfl_set_input(tfl_interp_t *ip, uint32_t i, const void *data, uint32_t bytes)
{
    tfl_tensor_t *t = tfl_input(ip, i);
    if (t == 0) {
        ip->error.code = ip->ready ? TFL_ERR_INPUT_SHAPE : TFL_ERR_STATE;
        return ip->error.code;
    }
    if (bytes != t->bytes || t->data == 0) {
        ip->error.code = TFL_ERR_INPUT_SHAPE;
        ip->error.tensor_index = ip->inputs[i];
        ip->error.detail = bytes;
        return TFL_ERR_INPUT_SHAPE;
    }
    memcpy(t->data, data, bytes);
    return TFL_OK;
}

tfl_status_t tfl_check_input_shape(tfl_interp_t *ip, uint32_t i, uint32_t ndim, const int32_t *dims)
{
    tfl_tensor_t *t = tfl_input(ip, i);
    uint32_t k;
    int ok = t != 0 && ndim == t->ndim;
    for (k = 0; ok && k < ndim; k++)
        ok = dims[k] == t->dims[k];
    if (!ok) {
        ip->error.code = ip->ready ? TFL_ERR_INPUT_SHAPE : TFL_ERR_STATE;
        ip->error.tensor_index = t ? ip->inputs[i] : -1;
        return ip->error.code;
    }
    return TFL_OK;
}

void tfl_set_trace(tfl_interp_t *ip, tfl_trace_fn fn, void *user)
{
    ip->trace = fn;
    ip->trace_user = user;
}
