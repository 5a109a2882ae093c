// tests/fuzz/fuzz_util.h: small helpers shared by the libFuzzer targets.
//
// Each target defines LLVMFuzzerTestOneInput and, for the seed corpus,
// FuzzSeeds(): a few valid inputs built with the engine's own writers.
// Built with FIRN_FUZZ_SEED_MAIN (tests/fuzz/meson.build), the target
// instead becomes a program that writes those seeds into a directory:
//   <target>-seeds <dir>
#ifndef FIRN_TESTS_FUZZ_FUZZ_UTIL_H_
#define FIRN_TESTS_FUZZ_FUZZ_UTIL_H_

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

// Valid inputs of this target (defined by each target).
std::vector<std::string> FuzzSeeds();

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

// Aborts (a crash libFuzzer reports) when a property fails.
#define FUZZ_CHECK(cond)                                                            \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      __builtin_trap();                                                             \
    }                                                                               \
  } while (0)

// Reads the input as a stream of small numbers and byte strings.
class FuzzInput {
 public:
  FuzzInput(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  bool empty() const { return pos_ >= size_; }
  uint8_t Byte() { return pos_ < size_ ? data_[pos_++] : 0; }
  // A string of up to `max` bytes, its length taken from the input.
  std::string Bytes(size_t max) {
    size_t n = Byte() % (max + 1);
    if (n > size_ - pos_) n = size_ - pos_;
    std::string s(reinterpret_cast<const char*>(data_ + pos_), n);
    pos_ += n;
    return s;
  }
  std::string_view Rest() {
    std::string_view r(reinterpret_cast<const char*>(data_ + pos_), size_ - pos_);
    pos_ = size_;
    return r;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

#ifdef FIRN_FUZZ_SEED_MAIN
#include <sys/stat.h>
int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <corpus dir>\n", argv[0]);
    return 2;
  }
  mkdir(argv[1], 0755);
  int n = 0;
  for (const std::string& seed : FuzzSeeds()) {
    // Every seed must pass the target itself.
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(seed.data()), seed.size());
    const std::string path = std::string(argv[1]) + "/seed-" + std::to_string(n++);
    FILE* f = std::fopen(path.c_str(), "wb");
    if (f == nullptr || std::fwrite(seed.data(), 1, seed.size(), f) != seed.size()) return 1;
    std::fclose(f);
  }
  std::printf("%s: %d seeds\n", argv[1], n);
  return 0;
}
#endif

#endif  // FIRN_TESTS_FUZZ_FUZZ_UTIL_H_
