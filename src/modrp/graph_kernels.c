/* Compiled CPU kernels of the graph embedding (paper eq. 4), float32.
 *
 * S = CSR(crow, col, weight) = (W o A)^T, n x n, rows as output features; A is
 * symmetric with every self-loop set, so S^T has S's structure and the values
 * weight[transpose_perm[k]].  Dense operands are (n, batch) row-major: row i holds
 * feature i for every sample of the batch.
 *
 *   graph_forward   y_t = S x_t + bias (per row)                          (SpMM)
 *                   and, when asked, y_t = relu(y_t) and a mask of where its
 *                   gradient passes
 *   graph_relu_backward
 *                   grad_t = upstream where the mask is set, else 0; grad_bias = its
 *                   row sums
 *   graph_backward  grad_x_t = S^T grad_t                          (transposed SpMM)
 *                   grad_weight[k] = grad_t[r] . x_t[c] for entry k at (r, c)  (SDDMM)
 *
 * The backward walks S^T row by row: row i reads x_t[i] once, gathers grad_t[j] for
 * each neighbour j, and uses that one gathered row for both products, where torch's
 * SDDMM and SpMM would gather a row each.  Every output element is written by one
 * thread, in an order fixed by the graph alone, so results are bit-for-bit the same
 * for any thread count.  Loaded through ctypes by modrp.graph_kernels, which compiles
 * this file on first use.
 *
 * The ReLU of eq. 4 runs on each output row while it is still in cache, and keeps one
 * bit per output (row r's bits in bytes r * ceil(batch / 8) on, output c in bit c % 8
 * of byte c / 8), so its backward reads 1/32 of what torch's threshold_backward reads
 * to find where the gradient passes, and adds the bias gradient in the same pass.  Where the
 * compiler targets AVX2 these two run on intrinsics: compilers vectorise the packing of
 * bits poorly, and the scalar loops cost more than the ReLU pass they replace.  Elsewhere
 * they run on those plain loops, to the same results up to the order of the bias
 * gradient's sums.
 */
#include <stdint.h>
#if defined(__AVX2__)
#include <immintrin.h>
#define RELU_INTRINSICS 1
#else
#define RELU_INTRINSICS 0
#endif

typedef int32_t index_t;

/* backward_row is called with constant flags; inlined, each call is compiled without
 * the branches it skips.  Left as a call, the flags stay variables and the compiler
 * turns the branches inside its vector loops into masked stores, 2-3x slower. */
#if defined(__GNUC__)
#define SPECIALISED static inline __attribute__((always_inline))
#else
#define SPECIALISED static inline
#endif

/* Four entries of a row at a time: one pass over the batch updates the output row
 * for four gathered rows, so it is loaded and stored a quarter as often. */
#define UNROLL 4

/* Row r's mask bytes start at r * mask_stride(batch). */
static inline int64_t mask_stride(int64_t batch) { return (batch + 7) / 8; }

/* relu(y_row) in place, as torch.relu: y < 0 becomes 0, so NaN and -0.0 stay as they
 * are.  Bit c % 8 of mask_row[c / 8] is set where the gradient passes, !(y <= 0) as in
 * torch's threshold_backward: set for NaN, not for either zero. */
static void relu_row(int64_t batch, float *y_row, uint8_t *mask_row) {
    int64_t c = 0;
#if RELU_INTRINSICS
    const __m256 zero = _mm256_setzero_ps();
    for (; c + 8 <= batch; c += 8) {
        const __m256 v = _mm256_loadu_ps(y_row + c);
        _mm256_storeu_ps(y_row + c, _mm256_andnot_ps(_mm256_cmp_ps(v, zero, _CMP_LT_OQ), v));
        mask_row[c / 8] = (uint8_t)_mm256_movemask_ps(_mm256_cmp_ps(v, zero, _CMP_NLE_UQ));
    }
#endif
    for (; c < batch; c += 8) {
        unsigned bits = 0;
        for (int64_t j = 0; j < 8 && c + j < batch; j++) {
            const float v = y_row[c + j];
            y_row[c + j] = v < 0.0f ? 0.0f : v;
            bits |= (unsigned)!(v <= 0.0f) << j;
        }
        mask_row[c / 8] = (uint8_t)bits;
    }
}

static void forward_row(int64_t batch, const index_t *col, const float *weight,
                        index_t k, index_t end, float bias, const float *x_t,
                        float *y_row) {
    for (int64_t c = 0; c < batch; c++) y_row[c] = bias;
    for (; end - k >= UNROLL; k += UNROLL) {
        const float *x0 = x_t + (int64_t)col[k] * batch, *x1 = x_t + (int64_t)col[k + 1] * batch,
                    *x2 = x_t + (int64_t)col[k + 2] * batch, *x3 = x_t + (int64_t)col[k + 3] * batch;
        const float w0 = weight[k], w1 = weight[k + 1], w2 = weight[k + 2], w3 = weight[k + 3];
#pragma omp simd
        for (int64_t c = 0; c < batch; c++)
            y_row[c] += w0 * x0[c] + w1 * x1[c] + w2 * x2[c] + w3 * x3[c];
    }
    for (; k < end; k++) {
        const float *xk = x_t + (int64_t)col[k] * batch;
        const float wk = weight[k];
#pragma omp simd
        for (int64_t c = 0; c < batch; c++) y_row[c] += wk * xk[c];
    }
}

/* relu_mask may be NULL: no ReLU.  Otherwise y_t = relu(S x_t + bias), and relu_mask
 * (n * mask_stride(batch) bytes) says where its gradient passes (see relu_row). */
void graph_forward(int64_t n, int64_t batch, const index_t *crow, const index_t *col,
                   const float *weight, const float *bias, const float *x_t, float *y_t,
                   uint8_t *relu_mask, int threads) {
#pragma omp parallel for schedule(dynamic, 32) num_threads(threads)
    for (int64_t r = 0; r < n; r++) {
        forward_row(batch, col, weight, crow[r], crow[r + 1], bias ? bias[r] : 0.0f, x_t,
                    y_t + r * batch);
        if (relu_mask) relu_row(batch, y_t + r * batch, relu_mask + r * mask_stride(batch));
    }
}

/* grad_t = upstream_t where relu_mask is set, else 0 (torch's threshold_backward), and
 * grad_bias[r] = the sum of row r of grad_t (grad_bias may be NULL). */
void graph_relu_backward(int64_t n, int64_t batch, const float *upstream_t,
                         const uint8_t *relu_mask, float *grad_t, float *grad_bias,
                         int threads) {
#pragma omp parallel for schedule(static) num_threads(threads)
    for (int64_t r = 0; r < n; r++) {
        const float *up = upstream_t + r * batch;
        const uint8_t *mask = relu_mask + r * mask_stride(batch);
        float *grad = grad_t + r * batch;
        float sum = 0.0f;
        int64_t c = 0;
#if RELU_INTRINSICS
        const __m256i bit = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
        __m256 sums = _mm256_setzero_ps();
        for (; c + 8 <= batch; c += 8) {
            const __m256i keep = _mm256_cmpeq_epi32(
                _mm256_and_si256(_mm256_set1_epi32(mask[c / 8]), bit), bit);
            const __m256 kept = _mm256_and_ps(_mm256_loadu_ps(up + c), _mm256_castsi256_ps(keep));
            _mm256_storeu_ps(grad + c, kept);
            sums = _mm256_add_ps(sums, kept);
        }
        __m128 half = _mm_add_ps(_mm256_castps256_ps128(sums), _mm256_extractf128_ps(sums, 1));
        half = _mm_add_ps(half, _mm_movehl_ps(half, half));
        sum = _mm_cvtss_f32(_mm_add_ss(half, _mm_movehdup_ps(half)));
#endif
        for (; c < batch; c++) {
            const float kept = (mask[c / 8] >> (c % 8)) & 1 ? up[c] : 0.0f;
            grad[c] = kept;
            sum += kept;
        }
        if (grad_bias) grad_bias[r] = sum;
    }
}

/* Row i of S^T: grad_x_t[i] (when want_input) and the weight gradient of the entries
 * of S in column i (when want_weight).  Entry k of row i of S^T, at column j, is entry
 * transpose_perm[k] of S, at (j, i): its weight gradient is grad_t[j] . x_t[i]. */
SPECIALISED void backward_row(int64_t batch, const index_t *col, const index_t *perm,
                              const float *weight, index_t k, index_t end,
                              const float *x_row, const float *grad_t, float *grad_x_row,
                              float *grad_weight, const int want_input,
                              const int want_weight) {
    if (want_input)
        for (int64_t c = 0; c < batch; c++) grad_x_row[c] = 0.0f;
    for (; end - k >= UNROLL; k += UNROLL) {
        const float *g0 = grad_t + (int64_t)col[k] * batch,
                    *g1 = grad_t + (int64_t)col[k + 1] * batch,
                    *g2 = grad_t + (int64_t)col[k + 2] * batch,
                    *g3 = grad_t + (int64_t)col[k + 3] * batch;
        const index_t p0 = perm[k], p1 = perm[k + 1], p2 = perm[k + 2], p3 = perm[k + 3];
        const float w0 = weight[p0], w1 = weight[p1], w2 = weight[p2], w3 = weight[p3];
        float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
        /* one pass: each gathered value serves both products */
#pragma omp simd reduction(+ : s0, s1, s2, s3)
        for (int64_t c = 0; c < batch; c++) {
            const float a0 = g0[c], a1 = g1[c], a2 = g2[c], a3 = g3[c];
            if (want_weight) {
                const float xc = x_row[c];
                s0 += xc * a0;
                s1 += xc * a1;
                s2 += xc * a2;
                s3 += xc * a3;
            }
            if (want_input) grad_x_row[c] += w0 * a0 + w1 * a1 + w2 * a2 + w3 * a3;
        }
        if (want_weight) {
            grad_weight[p0] = s0;
            grad_weight[p1] = s1;
            grad_weight[p2] = s2;
            grad_weight[p3] = s3;
        }
    }
    for (; k < end; k++) {
        const float *gk = grad_t + (int64_t)col[k] * batch;
        const float wk = weight[perm[k]];
        float s = 0.0f;
#pragma omp simd reduction(+ : s)
        for (int64_t c = 0; c < batch; c++) {
            if (want_weight) s += x_row[c] * gk[c];
            if (want_input) grad_x_row[c] += wk * gk[c];
        }
        if (want_weight) grad_weight[perm[k]] = s;
    }
}

/* grad_x_t or grad_weight may be NULL: that product is skipped. */
void graph_backward(int64_t n, int64_t batch, const index_t *crow, const index_t *col,
                    const index_t *transpose_perm, const float *weight, const float *x_t,
                    const float *grad_t, float *grad_x_t, float *grad_weight, int threads) {
    const int want_input = grad_x_t != 0, want_weight = grad_weight != 0;
#pragma omp parallel for schedule(dynamic, 32) num_threads(threads)
    for (int64_t i = 0; i < n; i++) {
        const float *x_row = x_t + i * batch;
        float *grad_x_row = want_input ? grad_x_t + i * batch : 0;
        if (want_input && want_weight)
            backward_row(batch, col, transpose_perm, weight, crow[i], crow[i + 1], x_row,
                         grad_t, grad_x_row, grad_weight, 1, 1);
        else if (want_input)
            backward_row(batch, col, transpose_perm, weight, crow[i], crow[i + 1], x_row,
                         grad_t, grad_x_row, grad_weight, 1, 0);
        else if (want_weight)
            backward_row(batch, col, transpose_perm, weight, crow[i], crow[i + 1], x_row,
                         grad_t, grad_x_row, grad_weight, 0, 1);
    }
}
