#pragma once
// A stop check that long runs call between units of work (the batches of
// FIBNLR compute, the steps of forward), so a user can interrupt them. The
// check stops a run by throwing; the run then unwinds with its usual
// guarantee (the graph and its attributes as before the call). The Python
// bindings install one that raises KeyboardInterrupt on Ctrl-C.
#include <chrono>
#include <functional>

namespace fibnlr {

/// Throws to stop the current run; returns to let it go on. May be called
/// from any thread that runs a graph.
using StopCheck = std::function<void()>;

/// Installs `check` process-wide (an empty function removes it). It is
/// called at most once per `interval` (a clock read decides, so calling
/// checkStop() often costs little); 0 calls it every time.
void setStopCheck(StopCheck check, std::chrono::milliseconds interval = std::chrono::milliseconds(50));

/// Runs the stop check when one is installed and `interval` has passed since
/// it last ran; lets its exception through.
void checkStop();

} // namespace fibnlr
