#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "fibnlr/data/Database.hpp"

namespace fibnlr {

/// Reads a Database in batches (one tensor per modality, batch axis first).
///
/// An epoch visits every item once, in order or shuffled (seeded); the last
/// batch is partial unless dropLast. Items of a batch are fetched by
/// `nbThreads` loader threads. A batch of consecutive items of a
/// TensorDatabase is a view (no copy); otherwise items are copied into a new
/// batch tensor. No global state: usable from any C++ program.
class DataProvider {
public:
    /// Throws std::invalid_argument for a null database or batchSize 0.
    DataProvider(std::shared_ptr<const Database> database, std::size_t batchSize, bool shuffle = false,
                 bool dropLast = false, std::optional<std::uint64_t> seed = std::nullopt, std::size_t nbThreads = 2);

    /// Starts a new epoch (reshuffles when shuffling). A provider that was
    /// never iterated starts its first epoch on the first readBatch().
    void resetEpoch();
    /// True when the current epoch has no batch left.
    bool done() const;
    /// The next batch of the epoch; empty when done(). Throws
    /// std::invalid_argument when items of the batch differ in shape or
    /// modality count.
    std::vector<Tensor> readBatch();

    std::size_t nbBatches() const;
    std::size_t batchSize() const { return mBatchSize; }
    std::size_t nbItems() const { return mDatabase->len(); }
    const Database& database() const { return *mDatabase; }

private:
    std::shared_ptr<const Database> mDatabase;
    std::size_t mBatchSize;
    bool mShuffle, mDropLast;
    std::uint64_t mSeed;
    std::uint64_t mEpoch = 0;
    std::size_t mNbThreads;
    bool mStarted = false;
    std::vector<std::size_t> mOrder;
    std::size_t mCursor = 0;
};

} // namespace fibnlr
