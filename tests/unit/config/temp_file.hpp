// A file with given contents in a private temporary directory, removed with it at scope exit.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace tapstack::config {

class TempFile {
 public:
  explicit TempFile(std::string_view contents) {
    std::string pattern = (std::filesystem::temp_directory_path() / "tapstack-config-XXXXXX");
    if (::mkdtemp(pattern.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
    directory_ = pattern;
    path_ = directory_ + "/tapstackd.yaml";
    std::ofstream(path_, std::ios::binary) << contents;
  }
  ~TempFile() { std::filesystem::remove_all(directory_); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  const std::string& path() const { return path_; }

  // A path in a directory that does not exist.
  static std::string unused_path() {
    return (std::filesystem::temp_directory_path() / "tapstack-config-absent-dir" /
            "tapstackd.yaml");
  }

 private:
  std::string directory_;
  std::string path_;
};

}  // namespace tapstack::config
