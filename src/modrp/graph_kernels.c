/* Compiled CPU kernels of the graph embedding (paper eq. 4), float32.
 *
 * S = CSR(crow, col, weight) = (W o A)^T, n x n, rows as output features; A is
 * symmetric with every self-loop set, so S^T has S's structure and the values
 * weight[transpose_perm[k]].  Dense operands are (n, batch) row-major: row i holds
 * feature i for every sample of the batch.
 *
 *   graph_forward   y_t = S x_t + bias (per row)                          (SpMM)
 *   graph_backward  grad_x_t = S^T grad_t                          (transposed SpMM)
 *                   grad_weight[k] = grad_t[r] . x_t[c] for entry k at (r, c)  (SDDMM)
 *
 * The backward walks S^T row by row: row i reads x_t[i] once, gathers grad_t[j] for
 * each neighbour j, and uses that one gathered row for both products, where torch's
 * SDDMM and SpMM would gather a row each.  Every output element is written by one
 * thread, in an order fixed by the graph alone, so results are bit-for-bit the same
 * for any thread count.  Loaded through ctypes by modrp.graph_kernels, which compiles
 * this file on first use.
 */
#include <stdint.h>

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

void graph_forward(int64_t n, int64_t batch, const index_t *crow, const index_t *col,
                   const float *weight, const float *bias, const float *x_t, float *y_t,
                   int threads) {
#pragma omp parallel for schedule(dynamic, 32) num_threads(threads)
    for (int64_t r = 0; r < n; r++)
        forward_row(batch, col, weight, crow[r], crow[r + 1], bias ? bias[r] : 0.0f, x_t,
                    y_t + r * batch);
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
