// An exclusive lock on a store's data folder, held for the life of the object (main keeps it for
// the life of the process). Two servers on one store.db would share one origin id and hand out
// the same sequence numbers, which replication takes for the same changes; so a second server on
// a folder must refuse to start instead.
#pragma once

#include <string>
#include <utility>

#include "common/fd.hpp"
#include "common/result.hpp"

namespace web::store {

// Creates `folder` and its parents when missing; "create folder /x/y: Permission denied".
common::Status make_data_folder(const std::string& folder);

class DataFolderLock {
 public:
  // Creates `folder` when missing, takes flock(LOCK_EX) on <folder>/LOCK without waiting and
  // writes this process's PID into that file. Fails with "data folder ./data/s1 is in use by
  // process 12345" when another holder has it; other failures name the call and the path, e.g.
  // "open ./data/s1/LOCK: Permission denied".
  static common::Result<DataFolderLock> acquire(const std::string& folder);

  const std::string& folder() const { return folder_; }

 private:
  DataFolderLock(std::string folder, common::Fd file)
      : folder_(std::move(folder)), file_(std::move(file)) {}

  std::string folder_;
  // The lock belongs to this open file description: closing it (the destructor) releases it, as
  // does the process's end, however it ends.
  common::Fd file_;
};

}  // namespace web::store
