/*
 * tandem micro runtime: public API.
 *
 * Runs int8 TFLite flatbuffer models with reference kernels, bit-exact with TFLite's
 * reference kernels.  C99, no dynamic allocation: the caller gives an arena; tensor and
 * operator metadata go to the arena's tail, activations to its head (greedy plan).
 */
#ifndef TFL_TFL_H
#define TFL_TFL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    TFL_OK = 0,
    TFL_ERR_MODEL = 1,            /* malformed or truncated flatbuffer (detail = byte offset) */
    TFL_ERR_VERSION = 2,          /* not a schema-3 TFLite model, or not exactly usable subgraph */
    TFL_ERR_UNSUPPORTED_OP = 3,   /* op_index, builtin_code: op not registered in the resolver */
    TFL_ERR_UNSUPPORTED_TYPE = 4, /* op_index, tensor_index: type/quantization the kernel lacks */
    TFL_ERR_ARENA_TOO_SMALL = 5,  /* bytes_needed (detail = 1 when it is only a lower bound) */
    TFL_ERR_INPUT_SHAPE = 6,      /* tensor_index: input of the wrong shape or byte size */
    TFL_ERR_BAD_SHAPE = 7,        /* op_index, tensor_index: shapes (or tensor roles, e.g. a constant
                                     op output or graph input) inconsistent in the model */
    TFL_ERR_BAD_PARAMS = 8,       /* op_index: invalid options (stride 0, bad activation, ...) */
    TFL_ERR_ALIGNMENT = 9,        /* model buffer or constant data misaligned */
    TFL_ERR_STATE = 10            /* API used in the wrong order (invoke before init) */
} tfl_status_t;

typedef struct {
    tfl_status_t code;
    int32_t op_index;      /* -1 when not tied to an operator */
    int32_t builtin_code;  /* -1 when not tied to an operator */
    int32_t tensor_index;  /* -1 when not tied to a tensor */
    uint32_t bytes_needed; /* arena bytes the model needs (set on success too) */
    uint32_t detail;       /* code-specific detail, see tfl_status_t */
} tfl_error_t;

struct tfl_interp;
struct tfl_node;

/* Kernel: prepare validates and precomputes (called once at init), eval runs the op. */
typedef struct tfl_kernel {
    int32_t builtin_code;
    tfl_status_t (*prepare)(struct tfl_interp *ip, struct tfl_node *node);
    tfl_status_t (*eval)(struct tfl_interp *ip, struct tfl_node *node);
} tfl_kernel_t;

/* Op resolver: a table the application fills with the kernels it links in. */
typedef struct {
    const tfl_kernel_t *const *kernels;
    uint32_t count;
} tfl_resolver_t;

#define TFL_MAX_DIMS 6

typedef struct tfl_tensor {
    void *data;
    uint32_t bytes;
    int32_t dims[TFL_MAX_DIMS];
    uint8_t ndim;
    uint8_t type;        /* TFLite TensorType */
    uint8_t is_const;
    uint8_t is_variable;
    float scale;         /* first scale, 0 when unquantized */
    int32_t zero_point;  /* first zero point */
    uint32_t nscales;
    const uint8_t *scales;      /* float32 LE vector in the model, nscales entries */
    const uint8_t *zero_points; /* int64 LE vector in the model, nzps entries */
    uint32_t nzps;
    int32_t qdim;
    int32_t first_op;    /* planner: first op that needs the tensor (-1: before the graph) */
    int32_t last_op;     /* planner: last op that needs it (nops: after the graph) */
    uint32_t arena_offset;
} tfl_tensor_t;

/* Position of a flatbuffer table in the model (0 = absent). */
typedef struct {
    uint32_t pos;
    uint32_t vtable;
    uint32_t vtable_len;
} tfl_fb_table_t;

typedef struct tfl_node {
    const tfl_kernel_t *kernel;
    int32_t builtin_code;
    tfl_fb_table_t options;
    uint8_t options_type;
    uint8_t n_inputs;
    uint8_t n_outputs;
    const int32_t *inputs;   /* tensor indices, -1 for an absent optional input */
    const int32_t *outputs;
    void *data;              /* kernel data from prepare (arena tail) */
} tfl_node_t;

typedef void (*tfl_trace_fn)(void *user, int32_t op_index, int32_t builtin_code, int is_end);

typedef struct tfl_interp {
    const uint8_t *model;
    uint32_t model_len;
    const tfl_resolver_t *resolver;
    uint8_t *arena;
    uint32_t arena_size;
    uint32_t tail_used;        /* bytes used at the arena's tail (metadata + kernel data) */
    uint32_t tail_requested;   /* bytes requested at the tail, also past a failure */
    uint32_t plan_bytes;       /* bytes the activation plan needs at the arena's head */
    tfl_tensor_t *tensors;
    uint32_t ntensors;
    tfl_node_t *nodes;
    uint32_t nnodes;
    const int32_t *inputs;
    uint32_t ninputs;
    const int32_t *outputs;
    uint32_t noutputs;
    int ready;
    tfl_error_t error;
    tfl_trace_fn trace;
    void *trace_user;
} tfl_interp_t;

/* Parse, resolve, prepare and plan.  On failure ip->error says why. */
tfl_status_t tfl_init(tfl_interp_t *ip, const uint8_t *model, uint32_t model_len,
                      const tfl_resolver_t *resolver, uint8_t *arena, uint32_t arena_size);
tfl_status_t tfl_invoke(tfl_interp_t *ip);

/* Total arena bytes the initialised model uses (head plan + tail metadata). */
uint32_t tfl_arena_used(const tfl_interp_t *ip);

tfl_tensor_t *tfl_input(tfl_interp_t *ip, uint32_t i);
tfl_tensor_t *tfl_output(tfl_interp_t *ip, uint32_t i);
/* Copy `bytes` into input i; TFL_ERR_INPUT_SHAPE when the size differs from the tensor's. */
tfl_status_t tfl_set_input(tfl_interp_t *ip, uint32_t i, const void *data, uint32_t bytes);
/* Check an input's shape against ndim/dims; TFL_ERR_INPUT_SHAPE when it differs. */
tfl_status_t tfl_check_input_shape(tfl_interp_t *ip, uint32_t i, uint32_t ndim, const int32_t *dims);

void tfl_set_trace(tfl_interp_t *ip, tfl_trace_fn fn, void *user);
const char *tfl_status_name(tfl_status_t s);

/* TFLite TensorType values used by the runtime. */
enum {
    TFL_TYPE_FLOAT32 = 0,
    TFL_TYPE_INT32 = 2,
    TFL_TYPE_UINT8 = 3,
    TFL_TYPE_INT64 = 4,
    TFL_TYPE_INT16 = 7,
    TFL_TYPE_INT8 = 9
};

/* BuiltinOperator codes of the ops the kernels implement (the schema's values); every kernel names
 * its op with one of these (sim/tinyml/job.py reads them to make a model's op set). */
enum {
    TFL_OP_ADD = 0,
    TFL_OP_AVERAGE_POOL_2D = 1,
    TFL_OP_CONCATENATION = 2,
    TFL_OP_CONV_2D = 3,
    TFL_OP_DEPTHWISE_CONV_2D = 4,
    TFL_OP_DEPTH_TO_SPACE = 5,
    TFL_OP_DEQUANTIZE = 6,
    TFL_OP_FULLY_CONNECTED = 9,
    TFL_OP_L2_NORMALIZATION = 11,
    TFL_OP_LOGISTIC = 14,
    TFL_OP_MAX_POOL_2D = 17,
    TFL_OP_MUL = 18,
    TFL_OP_RELU = 19,
    TFL_OP_RELU_N1_TO_1 = 20,
    TFL_OP_RELU6 = 21,
    TFL_OP_RESHAPE = 22,
    TFL_OP_RESIZE_BILINEAR = 23,
    TFL_OP_SOFTMAX = 25,
    TFL_OP_SPACE_TO_DEPTH = 26,
    TFL_OP_SVDF = 27,
    TFL_OP_TANH = 28,
    TFL_OP_PAD = 34,
    TFL_OP_GATHER = 36,
    TFL_OP_BATCH_TO_SPACE_ND = 37,
    TFL_OP_SPACE_TO_BATCH_ND = 38,
    TFL_OP_TRANSPOSE = 39,
    TFL_OP_MEAN = 40,
    TFL_OP_SUB = 41,
    TFL_OP_SQUEEZE = 43,
    TFL_OP_UNIDIRECTIONAL_SEQUENCE_LSTM = 44,
    TFL_OP_STRIDED_SLICE = 45,
    TFL_OP_SPLIT = 49,
    TFL_OP_LOG_SOFTMAX = 50,
    TFL_OP_CAST = 53,
    TFL_OP_PRELU = 54,
    TFL_OP_MAXIMUM = 55,
    TFL_OP_ARG_MAX = 56,
    TFL_OP_MINIMUM = 57,
    TFL_OP_LESS = 58,
    TFL_OP_NEG = 59,
    TFL_OP_PADV2 = 60,
    TFL_OP_GREATER = 61,
    TFL_OP_GREATER_EQUAL = 62,
    TFL_OP_LESS_EQUAL = 63,
    TFL_OP_SLICE = 65,
    TFL_OP_TRANSPOSE_CONV = 67,
    TFL_OP_EXPAND_DIMS = 70,
    TFL_OP_EQUAL = 71,
    TFL_OP_NOT_EQUAL = 72,
    TFL_OP_SUM = 74,
    TFL_OP_SHAPE = 77,
    TFL_OP_ARG_MIN = 79,
    TFL_OP_REDUCE_MAX = 82,
    TFL_OP_PACK = 83,
    TFL_OP_LOGICAL_OR = 84,
    TFL_OP_LOGICAL_AND = 86,
    TFL_OP_LOGICAL_NOT = 87,
    TFL_OP_UNPACK = 88,
    TFL_OP_REDUCE_MIN = 89,
    TFL_OP_ZEROS_LIKE = 93,
    TFL_OP_FILL = 94,
    TFL_OP_RESIZE_NEAREST_NEIGHBOR = 97,
    TFL_OP_LEAKY_RELU = 98,
    TFL_OP_SQUARED_DIFFERENCE = 99,
    TFL_OP_MIRROR_PAD = 100,
    TFL_OP_ABS = 101,
    TFL_OP_SPLIT_V = 102,
    TFL_OP_GATHER_ND = 107,
    TFL_OP_QUANTIZE = 114,
    TFL_OP_HARD_SWISH = 117,
    TFL_OP_SELECT_V2 = 123,
    TFL_OP_BATCH_MATMUL = 126
};

#ifdef __cplusplus
}
#endif
#endif
