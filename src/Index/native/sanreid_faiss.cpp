// C API over FAISS for SanReid.Index. See sanreid_faiss.h for the contract.
#include "sanreid_faiss.h"

#include <faiss/Index.h>
#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/IndexIDMap.h>
#include <faiss/IndexIVF.h>
#include <faiss/IndexIVFPQ.h>
#include <faiss/IndexPQ.h>
#include <faiss/impl/AuxIndexStructures.h>
#include <faiss/impl/FaissException.h>
#include <faiss/impl/IDSelector.h>
#include <faiss/index_factory.h>
#include <faiss/index_io.h>

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

struct sanreid_index {
    std::unique_ptr<faiss::Index> index;
};

namespace {

thread_local std::string last_error;

// Raised for caller mistakes detected here (as opposed to inside FAISS).
struct invalid_argument : std::runtime_error {
    using std::runtime_error::runtime_error;
};
struct not_supported : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Runs f, turning every exception into a status code and a thread-local message: nothing C++ crosses the ABI.
template <typename F>
int guard(F&& f) noexcept {
    try {
        f();
        return SANREID_OK;
    } catch (const invalid_argument& e) {
        last_error = e.what();
        return SANREID_INVALID_ARGUMENT;
    } catch (const not_supported& e) {
        last_error = e.what();
        return SANREID_NOT_SUPPORTED;
    } catch (const faiss::FaissException& e) {
        last_error = e.what();
        return SANREID_FAISS_ERROR;
    } catch (const std::bad_alloc&) {
        last_error = "out of memory";
        return SANREID_OUT_OF_MEMORY;
    } catch (const std::exception& e) {
        last_error = e.what();
        return SANREID_UNKNOWN_ERROR;
    } catch (...) {
        last_error = "unknown native exception";
        return SANREID_UNKNOWN_ERROR;
    }
}

void require(bool condition, const char* message) {
    if (!condition) {
        throw invalid_argument(message);
    }
}

const sanreid_index* checked(const sanreid_index* index) {
    require(index != nullptr && index->index != nullptr, "index handle is null");
    return index;
}

faiss::IndexIDMap* as_idmap(faiss::Index* index) {
    return dynamic_cast<faiss::IndexIDMap*>(index);
}

// The index that stores the vectors: under the id map when there is one.
faiss::Index* storage_of(faiss::Index* index) {
    faiss::IndexIDMap* idmap = as_idmap(index);
    return idmap != nullptr ? idmap->index : index;
}

faiss::IndexIVF* as_ivf(faiss::Index* index) {
    return dynamic_cast<faiss::IndexIVF*>(storage_of(index));
}

faiss::IndexHNSW* as_hnsw(faiss::Index* index) {
    return dynamic_cast<faiss::IndexHNSW*>(storage_of(index));
}

// Flat, HNSW, PQ... keep ids only as positions; IVF stores ids itself. Wrap the former so add_with_ids works.
std::unique_ptr<faiss::Index> with_ids(faiss::Index* raw) {
    std::unique_ptr<faiss::Index> owned(raw);
    if (as_idmap(raw) != nullptr || dynamic_cast<faiss::IndexIVF*>(raw) != nullptr) {
        return owned;
    }
    auto idmap = std::make_unique<faiss::IndexIDMap>(raw);
    owned.release();
    idmap->own_fields = true;
    return idmap;
}

// Maps positions in the id map's sub-index to the caller's ids before asking the caller's selector.
// (FAISS 1.7.4 ships this as IDSelectorTranslated; 1.7.3 does not, and its IndexIDMap refuses search params.)
struct TranslatedSelector : faiss::IDSelector {
    const std::vector<faiss::Index::idx_t>& id_map;
    const faiss::IDSelector& inner;
    TranslatedSelector(const std::vector<faiss::Index::idx_t>& id_map, const faiss::IDSelector& inner)
            : id_map(id_map), inner(inner) {}
    bool is_member(faiss::Index::idx_t position) const override {
        return inner.is_member(id_map[position]);
    }
};

// Search parameters of the right concrete type for `storage`, carrying its current nprobe / efSearch and `sel`.
std::unique_ptr<faiss::SearchParameters> params_for(faiss::Index* storage, const faiss::IDSelector* sel) {
    if (auto* ivf = dynamic_cast<faiss::IndexIVF*>(storage)) {
        auto p = std::make_unique<faiss::SearchParametersIVF>();
        p->nprobe = ivf->nprobe;
        p->max_codes = ivf->max_codes;
        p->sel = const_cast<faiss::IDSelector*>(sel);
        return p;
    }
    if (auto* hnsw = dynamic_cast<faiss::IndexHNSW*>(storage)) {
        auto p = std::make_unique<faiss::SearchParametersHNSW>();
        p->efSearch = hnsw->hnsw.efSearch;
        p->sel = const_cast<faiss::IDSelector*>(sel);
        return p;
    }
    auto p = std::make_unique<faiss::SearchParameters>();
    p->sel = const_cast<faiss::IDSelector*>(sel);
    return p;
}

void fill_empty(int64_t count, float* distances, int64_t* labels) {
    std::fill(distances, distances + count, -std::numeric_limits<float>::infinity());
    std::fill(labels, labels + count, int64_t{-1});
}

} // namespace

extern "C" {

const char* sanreid_faiss_last_error(void) {
    return last_error.c_str();
}

const char* sanreid_faiss_version(void) {
    static const std::string version = std::to_string(FAISS_VERSION_MAJOR) + "." +
            std::to_string(FAISS_VERSION_MINOR) + "." + std::to_string(FAISS_VERSION_PATCH);
    return version.c_str();
}

int sanreid_faiss_create(const char* factory, int32_t dimension, sanreid_index** out) {
    return guard([&] {
        require(out != nullptr, "out is null");
        *out = nullptr;
        require(factory != nullptr && *factory != '\0', "factory string is empty");
        require(dimension > 0, "dimension must be positive");
        auto result = std::make_unique<sanreid_index>();
        result->index = with_ids(faiss::index_factory(dimension, factory, faiss::METRIC_INNER_PRODUCT));
        // The factory turns on polysemous training for PQ codes (a code permutation for Hamming pre-filtering that we
        // never use); it made training 4,000 vectors take minutes instead of a fraction of a second.
        faiss::Index* storage = storage_of(result->index.get());
        if (auto* ivfpq = dynamic_cast<faiss::IndexIVFPQ*>(storage)) {
            ivfpq->do_polysemous_training = false;
        }
        if (auto* pq = dynamic_cast<faiss::IndexPQ*>(storage)) {
            pq->do_polysemous_training = false;
        }
        // k-means of the coarse quantizer: 10 iterations instead of FAISS's 25. The centroids only route queries to
        // lists (nprobe is calibrated to the recall target afterwards); training a 2,048-list IVF on 131,000 vectors
        // of 512 dimensions is 2.5x faster, which is what a background retrain of a million-item gallery costs.
        if (auto* ivf = dynamic_cast<faiss::IndexIVF*>(storage)) {
            ivf->cp.niter = 10;
        }
        *out = result.release();
    });
}

int sanreid_faiss_read(const char* path, sanreid_index** out) {
    return guard([&] {
        require(out != nullptr, "out is null");
        *out = nullptr;
        require(path != nullptr && *path != '\0', "path is empty");
        std::unique_ptr<faiss::Index> loaded(faiss::read_index(path));
        if (loaded->metric_type != faiss::METRIC_INNER_PRODUCT) {
            throw invalid_argument(std::string("index file '") + path + "' does not use the inner-product metric");
        }
        if (as_idmap(loaded.get()) == nullptr && dynamic_cast<faiss::IndexIVF*>(loaded.get()) == nullptr) {
            throw invalid_argument(std::string("index file '") + path + "' holds an index without ids (write it with sanreid_faiss_write)");
        }
        // A crafted or damaged file can hold an id map shorter than the vectors it maps; search would then read
        // id_map[position] past its end. Refuse anything whose halves disagree.
        if (faiss::IndexIDMap* idmap = as_idmap(loaded.get())) {
            if (idmap->index == nullptr || idmap->index->d != idmap->d || idmap->index->ntotal != idmap->ntotal ||
                idmap->ntotal < 0 || idmap->id_map.size() != static_cast<size_t>(idmap->ntotal)) {
                throw invalid_argument(std::string("index file '") + path + "' is inconsistent: its id map holds " +
                        std::to_string(idmap->id_map.size()) + " ids for " + std::to_string(idmap->ntotal) +
                        " vectors (" + std::to_string(idmap->index != nullptr ? idmap->index->ntotal : -1) +
                        " stored)");
            }
        }
        auto result = std::make_unique<sanreid_index>();
        result->index = std::move(loaded);
        *out = result.release();
    });
}

int sanreid_faiss_write(const sanreid_index* index, const char* path) {
    return guard([&] {
        checked(index);
        require(path != nullptr && *path != '\0', "path is empty");
        faiss::write_index(index->index.get(), path);
    });
}

void sanreid_faiss_free(sanreid_index* index) {
    delete index;
}

int sanreid_faiss_dimension(const sanreid_index* index, int32_t* out) {
    return guard([&] {
        checked(index);
        require(out != nullptr, "out is null");
        *out = static_cast<int32_t>(index->index->d);
    });
}

int sanreid_faiss_ntotal(const sanreid_index* index, int64_t* out) {
    return guard([&] {
        checked(index);
        require(out != nullptr, "out is null");
        *out = index->index->ntotal;
    });
}

int sanreid_faiss_is_trained(const sanreid_index* index, int32_t* out) {
    return guard([&] {
        checked(index);
        require(out != nullptr, "out is null");
        *out = index->index->is_trained ? 1 : 0;
    });
}

int sanreid_faiss_supports_remove(const sanreid_index* index, int32_t* out) {
    return guard([&] {
        checked(index);
        require(out != nullptr, "out is null");
        *out = as_hnsw(index->index.get()) == nullptr ? 1 : 0;
    });
}

int sanreid_faiss_min_training_points(const sanreid_index* index, int64_t* out) {
    return guard([&] {
        checked(index);
        require(out != nullptr, "out is null");
        faiss::Index* storage = storage_of(index->index.get());
        if (storage->is_trained) {
            *out = 0;
            return;
        }
        int64_t centroids = 1;
        if (auto* ivf = dynamic_cast<faiss::IndexIVF*>(storage)) {
            centroids = std::max<int64_t>(centroids, static_cast<int64_t>(ivf->nlist));
        }
        if (auto* ivfpq = dynamic_cast<faiss::IndexIVFPQ*>(storage)) {
            centroids = std::max<int64_t>(centroids, int64_t{1} << ivfpq->pq.nbits);
        }
        if (auto* pq = dynamic_cast<faiss::IndexPQ*>(storage)) {
            centroids = std::max<int64_t>(centroids, int64_t{1} << pq->pq.nbits);
        }
        *out = 39 * centroids;
    });
}

int sanreid_faiss_train(sanreid_index* index, int64_t n, const float* x) {
    return guard([&] {
        checked(index);
        require(n > 0, "n must be positive");
        require(x != nullptr, "x is null");
        index->index->train(n, x);
    });
}

int sanreid_faiss_add_with_ids(sanreid_index* index, int64_t n, const float* x, const int64_t* ids) {
    return guard([&] {
        checked(index);
        require(n >= 0, "n must not be negative");
        if (n == 0) {
            return;
        }
        require(x != nullptr && ids != nullptr, "x or ids is null");
        require(index->index->is_trained, "index is not trained: call train first");
        if (as_hnsw(index->index.get()) == nullptr) {
            index->index->add_with_ids(n, x, ids);
            return;
        }
        // FAISS links HNSW vertices in parallel, so the graph (and its approximate results) would depend on thread
        // timing. One thread makes a rebuild from the same vectors give the same graph. omp_set_num_threads only
        // affects parallel regions started by this thread, so other callers are untouched.
        int threads = omp_get_max_threads();
        omp_set_num_threads(1);
        try {
            index->index->add_with_ids(n, x, ids);
        } catch (...) {
            omp_set_num_threads(threads);
            throw;
        }
        omp_set_num_threads(threads);
    });
}

int sanreid_faiss_search(
        const sanreid_index* index,
        int64_t n,
        const float* x,
        int64_t k,
        int32_t selection,
        const int64_t* sel_ids,
        int64_t n_sel,
        float* distances,
        int64_t* labels) {
    return guard([&] {
        checked(index);
        require(n >= 0, "n must not be negative");
        require(k > 0, "k must be positive");
        require(distances != nullptr && labels != nullptr, "distances or labels is null");
        require(n == 0 || x != nullptr, "x is null");
        require(n_sel >= 0 && (n_sel == 0 || sel_ids != nullptr), "selection ids are null");
        require(selection >= SANREID_SELECT_ALL && selection <= SANREID_SELECT_DENY, "unknown selection mode");
        if (n == 0) {
            return;
        }
        faiss::Index* top = index->index.get();
        fill_empty(n * k, distances, labels);
        if (top->ntotal == 0 || (selection == SANREID_SELECT_ALLOW && n_sel == 0)) {
            return;
        }
        if (selection == SANREID_SELECT_ALL || (selection == SANREID_SELECT_DENY && n_sel == 0)) {
            top->search(n, x, k, distances, labels);
            return;
        }

        faiss::IDSelectorBatch listed(static_cast<size_t>(n_sel), sel_ids);
        faiss::IDSelectorNot unlisted(&listed);
        const faiss::IDSelector& chosen =
                selection == SANREID_SELECT_ALLOW ? static_cast<const faiss::IDSelector&>(listed) : unlisted;

        faiss::IndexIDMap* idmap = as_idmap(top);
        if (idmap == nullptr) {
            auto params = params_for(top, &chosen);
            top->search(n, x, k, distances, labels, params.get());
            return;
        }
        TranslatedSelector translated(idmap->id_map, chosen);
        auto params = params_for(idmap->index, &translated);
        idmap->index->search(n, x, k, distances, labels, params.get());
        for (int64_t i = 0; i < n * k; i++) {
            if (labels[i] >= 0) {
                labels[i] = idmap->id_map[labels[i]];
            }
        }
    });
}

int sanreid_faiss_search_bitmap(
        const sanreid_index* index,
        int64_t n,
        const float* x,
        int64_t k,
        const uint8_t* bitmap,
        int64_t bitmap_bytes,
        int64_t nprobe,
        float* distances,
        int64_t* labels) {
    return guard([&] {
        checked(index);
        require(n >= 0, "n must not be negative");
        require(k > 0, "k must be positive");
        require(distances != nullptr && labels != nullptr, "distances or labels is null");
        require(n == 0 || x != nullptr, "x is null");
        require(bitmap_bytes >= 0 && (bitmap_bytes == 0 || bitmap != nullptr), "bitmap is null");
        require(nprobe >= 0, "nprobe must not be negative");
        if (n == 0) {
            return;
        }
        faiss::Index* top = index->index.get();
        fill_empty(n * k, distances, labels);
        if (top->ntotal == 0) {
            return;
        }
        std::unique_ptr<faiss::IDSelectorBitmap> selected;
        if (bitmap != nullptr) {
            selected = std::make_unique<faiss::IDSelectorBitmap>(static_cast<size_t>(bitmap_bytes), bitmap);
        }
        faiss::IndexIDMap* idmap = as_idmap(top);
        if (idmap == nullptr) {
            auto params = params_for(top, selected.get());
            if (auto* ivf = dynamic_cast<faiss::SearchParametersIVF*>(params.get()); ivf != nullptr && nprobe > 0) {
                ivf->nprobe = std::min<size_t>(static_cast<size_t>(nprobe), as_ivf(top)->nlist);
            }
            top->search(n, x, k, distances, labels, params.get());
            return;
        }
        if (selected == nullptr) {
            top->search(n, x, k, distances, labels);
            return;
        }
        TranslatedSelector translated(idmap->id_map, *selected);
        auto params = params_for(idmap->index, &translated);
        idmap->index->search(n, x, k, distances, labels, params.get());
        for (int64_t i = 0; i < n * k; i++) {
            if (labels[i] >= 0) {
                labels[i] = idmap->id_map[labels[i]];
            }
        }
    });
}

int sanreid_faiss_remove_unselected(sanreid_index* index, const uint8_t* bitmap, int64_t bitmap_bytes, int64_t* removed) {
    return guard([&] {
        checked(index);
        require(bitmap_bytes >= 0 && (bitmap_bytes == 0 || bitmap != nullptr), "bitmap is null");
        require(removed != nullptr, "removed is null");
        *removed = 0;
        if (as_hnsw(index->index.get()) != nullptr) {
            throw not_supported("HNSW indexes cannot remove vectors; rebuild the index or exclude ids at search time");
        }
        faiss::IDSelectorBitmap kept(static_cast<size_t>(bitmap_bytes), bitmap);
        faiss::IDSelectorNot gone(&kept);
        *removed = static_cast<int64_t>(index->index->remove_ids(gone));
    });
}

int sanreid_faiss_remove_ids(sanreid_index* index, int64_t n, const int64_t* ids, int64_t* removed) {
    return guard([&] {
        checked(index);
        require(n >= 0, "n must not be negative");
        require(n == 0 || ids != nullptr, "ids is null");
        require(removed != nullptr, "removed is null");
        *removed = 0;
        if (as_hnsw(index->index.get()) != nullptr) {
            throw not_supported("HNSW indexes cannot remove vectors; rebuild the index or exclude ids at search time");
        }
        if (n == 0) {
            return;
        }
        faiss::IDSelectorBatch sel(static_cast<size_t>(n), ids);
        *removed = static_cast<int64_t>(index->index->remove_ids(sel));
    });
}

int sanreid_faiss_get_nlist(const sanreid_index* index, int64_t* out) {
    return guard([&] {
        checked(index);
        require(out != nullptr, "out is null");
        faiss::IndexIVF* ivf = as_ivf(index->index.get());
        *out = ivf != nullptr ? static_cast<int64_t>(ivf->nlist) : -1;
    });
}

int sanreid_faiss_get_nprobe(const sanreid_index* index, int64_t* out) {
    return guard([&] {
        checked(index);
        require(out != nullptr, "out is null");
        faiss::IndexIVF* ivf = as_ivf(index->index.get());
        *out = ivf != nullptr ? static_cast<int64_t>(ivf->nprobe) : -1;
    });
}

int sanreid_faiss_set_nprobe(sanreid_index* index, int64_t nprobe) {
    return guard([&] {
        checked(index);
        require(nprobe > 0, "nprobe must be positive");
        faiss::IndexIVF* ivf = as_ivf(index->index.get());
        if (ivf == nullptr) {
            throw not_supported("nprobe applies to IVF indexes only");
        }
        require(nprobe <= static_cast<int64_t>(ivf->nlist), "nprobe must not exceed nlist");
        ivf->nprobe = static_cast<size_t>(nprobe);
    });
}

int sanreid_faiss_get_ef_search(const sanreid_index* index, int32_t* out) {
    return guard([&] {
        checked(index);
        require(out != nullptr, "out is null");
        faiss::IndexHNSW* hnsw = as_hnsw(index->index.get());
        *out = hnsw != nullptr ? hnsw->hnsw.efSearch : -1;
    });
}

int sanreid_faiss_set_ef_search(sanreid_index* index, int32_t ef_search) {
    return guard([&] {
        checked(index);
        require(ef_search > 0, "efSearch must be positive");
        faiss::IndexHNSW* hnsw = as_hnsw(index->index.get());
        if (hnsw == nullptr) {
            throw not_supported("efSearch applies to HNSW indexes only");
        }
        hnsw->hnsw.efSearch = ef_search;
    });
}

} // extern "C"
