/*
 * sanreid_faiss: a small C API over FAISS (Debian libfaiss-dev 1.7.3, static) for SanReid.Index.
 *
 * Every function returns an int status (SANREID_OK = 0, else one of the error codes below) and never lets a C++
 * exception cross the boundary. After a failure, sanreid_faiss_last_error() returns the message of the failure on
 * the calling thread (thread-local; valid until the next failing call on that thread).
 *
 * All indexes use the inner-product metric and carry caller-chosen 64-bit ids (Flat and HNSW are wrapped in an
 * IndexIDMap so add_with_ids works). Search results are padded with id -1 / score -inf where fewer than k exist.
 */
#ifndef SANREID_FAISS_H
#define SANREID_FAISS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SANREID_EXPORT __attribute__((visibility("default")))

enum sanreid_status {
    SANREID_OK = 0,
    SANREID_INVALID_ARGUMENT = 1,
    SANREID_FAISS_ERROR = 2,
    SANREID_OUT_OF_MEMORY = 3,
    SANREID_NOT_SUPPORTED = 4,
    SANREID_UNKNOWN_ERROR = 5
};

/* Selection modes for sanreid_faiss_search. */
enum sanreid_selection {
    SANREID_SELECT_ALL = 0,   /* ids ignored */
    SANREID_SELECT_ALLOW = 1, /* only the given ids */
    SANREID_SELECT_DENY = 2   /* every id but the given ones */
};

typedef struct sanreid_index sanreid_index;

SANREID_EXPORT const char* sanreid_faiss_last_error(void);
SANREID_EXPORT const char* sanreid_faiss_version(void);

/* Builds an index from a FAISS factory string ("Flat", "IVF100,Flat", "HNSW32", "IVF100,PQ16"), inner product. */
SANREID_EXPORT int sanreid_faiss_create(const char* factory, int32_t dimension, sanreid_index** out);
/* Fails (INVALID_ARGUMENT) for files that are not inner product, carry no ids, or whose id map is inconsistent. */
SANREID_EXPORT int sanreid_faiss_read(const char* path, sanreid_index** out);
SANREID_EXPORT int sanreid_faiss_write(const sanreid_index* index, const char* path);
SANREID_EXPORT void sanreid_faiss_free(sanreid_index* index);

SANREID_EXPORT int sanreid_faiss_dimension(const sanreid_index* index, int32_t* out);
SANREID_EXPORT int sanreid_faiss_ntotal(const sanreid_index* index, int64_t* out);
SANREID_EXPORT int sanreid_faiss_is_trained(const sanreid_index* index, int32_t* out);
/* 1 when remove_ids works for this index type (HNSW cannot remove: callers filter or rebuild). */
SANREID_EXPORT int sanreid_faiss_supports_remove(const sanreid_index* index, int32_t* out);
/* Fewest training vectors the index needs (0 when it needs no training): 39 per k-means centroid, FAISS's own bar. */
SANREID_EXPORT int sanreid_faiss_min_training_points(const sanreid_index* index, int64_t* out);

/* x: n * dimension floats, row-major. HNSW adds run on one thread so the same vectors always give the same graph. */
SANREID_EXPORT int sanreid_faiss_train(sanreid_index* index, int64_t n, const float* x);
SANREID_EXPORT int sanreid_faiss_add_with_ids(sanreid_index* index, int64_t n, const float* x, const int64_t* ids);

/*
 * x: n * dimension floats; distances, labels: n * k each (inner products, descending; -1 label = no result).
 * selection: SANREID_SELECT_*; sel_ids / n_sel: the ids it applies to (may be NULL when n_sel == 0).
 */
SANREID_EXPORT int sanreid_faiss_search(
        const sanreid_index* index,
        int64_t n,
        const float* x,
        int64_t k,
        int32_t selection,
        const int64_t* sel_ids,
        int64_t n_sel,
        float* distances,
        int64_t* labels);

/* Search restricted to the ids whose bit is set in `bitmap` (bit id % 8 of byte id / 8; ids at or beyond
 * bitmap_bytes * 8 are not selected); bitmap may be null for no restriction. nprobe > 0 overrides the IVF index's
 * nprobe for this call only (clamped to nlist); 0 keeps it. Results padded with -1 / -inf as sanreid_faiss_search. */
SANREID_EXPORT int sanreid_faiss_search_bitmap(
    const sanreid_index* index, int64_t n, const float* x, int64_t k, const uint8_t* bitmap, int64_t bitmap_bytes,
    int64_t nprobe, float* distances, int64_t* labels);
/* Removes every id whose bit is NOT set in `bitmap` (the ids of items that no longer exist); *removed gets the count.
 * NOT_SUPPORTED for HNSW. */
SANREID_EXPORT int sanreid_faiss_remove_unselected(
    sanreid_index* index, const uint8_t* bitmap, int64_t bitmap_bytes, int64_t* removed);
SANREID_EXPORT int sanreid_faiss_remove_ids(sanreid_index* index, int64_t n, const int64_t* ids, int64_t* removed);

/* Search parameters. -1 from a getter: the index has no such parameter. Setters fail with NOT_SUPPORTED then. */
/* Number of IVF lists (-1 for non-IVF indexes). nprobe must lie in 1..nlist. */
SANREID_EXPORT int sanreid_faiss_get_nlist(const sanreid_index* index, int64_t* out);
SANREID_EXPORT int sanreid_faiss_get_nprobe(const sanreid_index* index, int64_t* out);
SANREID_EXPORT int sanreid_faiss_set_nprobe(sanreid_index* index, int64_t nprobe);
SANREID_EXPORT int sanreid_faiss_get_ef_search(const sanreid_index* index, int32_t* out);
SANREID_EXPORT int sanreid_faiss_set_ef_search(sanreid_index* index, int32_t ef_search);

#ifdef __cplusplus
}
#endif

#endif
