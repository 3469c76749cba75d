#include "fibnlr/data/DataProvider.hpp"

#include <algorithm>
#include <cstring>
#include <exception>
#include <numeric>
#include <random>
#include <stdexcept>
#include <thread>

#include "fibnlr/data/TensorDatabase.hpp"

namespace fibnlr {

DataProvider::DataProvider(std::shared_ptr<const Database> database, std::size_t batchSize, bool shuffle,
                           bool dropLast, std::optional<std::uint64_t> seed, std::size_t nbThreads)
    : mDatabase(std::move(database)), mBatchSize(batchSize), mShuffle(shuffle), mDropLast(dropLast),
      mSeed(seed ? *seed : std::random_device{}()), mNbThreads(std::max<std::size_t>(1, nbThreads)) {
    if (!mDatabase) throw std::invalid_argument("DataProvider: database is null");
    if (mBatchSize == 0) throw std::invalid_argument("DataProvider: batch_size is 0, expected >= 1");
}

void DataProvider::resetEpoch() {
    mOrder.resize(mDatabase->len());
    std::iota(mOrder.begin(), mOrder.end(), std::size_t{0});
    if (mShuffle) {
        std::mt19937_64 rng(mSeed + 0x9E3779B97F4A7C15ull * mEpoch);
        std::shuffle(mOrder.begin(), mOrder.end(), rng);
    }
    ++mEpoch;
    mCursor = 0;
    mStarted = true;
}

std::size_t DataProvider::nbBatches() const {
    const std::size_t n = mDatabase->len();
    return mDropLast ? n / mBatchSize : (n + mBatchSize - 1) / mBatchSize;
}

bool DataProvider::done() const {
    if (!mStarted) return nbBatches() == 0;
    const std::size_t left = mOrder.size() - mCursor;
    return left == 0 || (mDropLast && left < mBatchSize);
}

std::vector<Tensor> DataProvider::readBatch() {
    if (!mStarted) resetEpoch();
    if (done()) return {};
    const std::size_t count = std::min(mBatchSize, mOrder.size() - mCursor);
    const std::size_t first = mCursor;
    mCursor += count;

    // Consecutive items of an in-memory database: one view per modality.
    if (const auto* tdb = dynamic_cast<const TensorDatabase*>(mDatabase.get())) {
        bool consecutive = true;
        for (std::size_t i = 1; i < count && consecutive; ++i) consecutive = mOrder[first + i] == mOrder[first] + i;
        if (consecutive) {
            std::vector<Tensor> batch;
            for (std::size_t m = 0; m < tdb->getNbModalities(); ++m) batch.push_back(tdb->slice(m, mOrder[first], count));
            return batch;
        }
    }

    // Fetch items on loader threads (a Python database takes the GIL in getItem).
    std::vector<std::vector<Tensor>> items(count);
    std::vector<std::exception_ptr> errors(count);
    auto work = [&](std::size_t t, std::size_t nbWorkers) {
        for (std::size_t i = t; i < count; i += nbWorkers) {
            try {
                items[i] = mDatabase->getItem(mOrder[first + i]);
            } catch (...) {
                errors[i] = std::current_exception();
            }
        }
    };
    const std::size_t nbWorkers = std::min(mNbThreads, count);
    if (nbWorkers <= 1) {
        work(0, 1);
    } else {
        std::vector<std::thread> threads;
        for (std::size_t t = 0; t < nbWorkers; ++t) threads.emplace_back(work, t, nbWorkers);
        for (std::thread& th : threads) th.join();
    }
    for (const auto& e : errors)
        if (e) std::rethrow_exception(e);

    const std::vector<Tensor>& head = items[0];
    std::vector<Tensor> batch;
    for (std::size_t m = 0; m < head.size(); ++m) {
        Shape dims{count};
        dims.insert(dims.end(), head[m].dims().begin(), head[m].dims().end());
        batch.emplace_back(dims, head[m].dataType());
    }
    for (std::size_t i = 0; i < count; ++i) {
        if (items[i].size() != head.size())
            throw std::invalid_argument("DataProvider: item " + std::to_string(mOrder[first + i]) + " has " +
                                        std::to_string(items[i].size()) + " modalities, item " +
                                        std::to_string(mOrder[first]) + " has " + std::to_string(head.size()));
        for (std::size_t m = 0; m < head.size(); ++m) {
            const Tensor& t = items[i][m];
            if (t.dims() != head[m].dims() || t.dataType() != head[m].dataType())
                throw std::invalid_argument("DataProvider: modality " + std::to_string(m) + " of item " +
                                            std::to_string(mOrder[first + i]) + " has shape " + toString(t.dims()) +
                                            " " + toString(t.dataType()) + ", item " +
                                            std::to_string(mOrder[first]) + " has " + toString(head[m].dims()) +
                                            " " + toString(head[m].dataType()));
            const std::size_t bytes = t.nbBytes();
            std::memcpy(static_cast<char*>(batch[m].rawData()) + i * bytes, t.rawData(), bytes);
        }
    }
    return batch;
}

} // namespace fibnlr
