// db/db_iter.cc: see db_iter.h.
#include "db/db_iter.h"

#include <cassert>
#include <memory>
#include <string>
#include <utility>

namespace firn {

namespace {

// Memory kept for saved_value_ between moves; larger buffers are released.
constexpr size_t kMaxRetainedValueBytes = 1u << 20;

// Direction and position invariants (as LevelDB's DBIter):
//  - kForward: iter_ is at the entry yielding the current user key and
//    value (the key's first entry with sequence <= sequence_, so its
//    entries before iter_ are all newer than sequence_); key() and value()
//    read through to iter_. saved_key_ is scratch.
//  - kReverse: iter_ is before every entry of the current user key (at an
//    older key's entry, or invalid); the current key and value are copied
//    into saved_key_ and saved_value_.
// valid_ is false when the iterator is not positioned; status_ holds the
// first corruption found (sticky).
class DBIter final : public Iterator {
 public:
  DBIter(Iterator* internal, SequenceNumber sequence, std::function<void()> on_destroy)
      : iter_(internal),
        sequence_(sequence > kMaxSequenceNumber ? kMaxSequenceNumber : sequence),
        on_destroy_(std::move(on_destroy)) {}

  ~DBIter() override {
    iter_.reset();
    if (on_destroy_) on_destroy_();
  }

  bool Valid() const override { return valid_; }

  std::string_view key() const override {
    assert(valid_);
    return direction_ == kForward ? ExtractUserKey(iter_->key()) : std::string_view(saved_key_);
  }

  std::string_view value() const override {
    assert(valid_);
    return direction_ == kForward ? iter_->value() : std::string_view(saved_value_);
  }

  Status status() const override {
    if (!status_.ok()) return status_;
    return iter_->status();
  }

  void SeekToFirst() override {
    direction_ = kForward;
    ClearSavedValue();
    iter_->SeekToFirst();
    FindNextUserEntry(false);
  }

  void SeekToLast() override {
    direction_ = kReverse;
    ClearSavedValue();
    iter_->SeekToLast();
    FindPrevUserEntry();
  }

  void Seek(std::string_view target) override {
    direction_ = kForward;
    ClearSavedValue();
    saved_key_.clear();
    AppendInternalKey(&saved_key_, target, sequence_, kValueTypeForSeek);
    iter_->Seek(saved_key_);
    FindNextUserEntry(false);
  }

  void Next() override {
    assert(valid_);
    if (direction_ == kReverse) {
      // iter_ is before the current key's entries and saved_key_ holds the
      // key: step onto them, then skip them below.
      direction_ = kForward;
      if (iter_->Valid()) {
        iter_->Next();
      } else {
        iter_->SeekToFirst();
      }
    } else {
      saved_key_.assign(ExtractUserKey(iter_->key()));
      iter_->Next();
    }
    FindNextUserEntry(true);
  }

  void Prev() override {
    assert(valid_);
    if (direction_ == kForward) {
      // iter_ is at the current key's newest visible entry; the entries of
      // that key before it are newer than sequence_, which
      // FindPrevUserEntry passes over, so one step back suffices.
      iter_->Prev();
      direction_ = kReverse;
    }
    FindPrevUserEntry();
  }

 private:
  enum Direction { kForward, kReverse };

  // Parses iter_->key(); on failure records the corruption and makes the
  // iterator invalid.
  bool ParseKey(ParsedInternalKey* ikey) {
    if (ParseInternalKey(iter_->key(), ikey)) return true;
    if (status_.ok()) status_ = Status::Corruption("db iterator: bad internal key");
    valid_ = false;
    return false;
  }

  // Moves forward from iter_ to the first entry that yields a user key.
  // With `skipping`, entries of user keys <= saved_key_ are passed over.
  // REQUIRES: direction_ == kForward.
  void FindNextUserEntry(bool skipping) {
    ParsedInternalKey ikey;
    for (; iter_->Valid(); iter_->Next()) {
      if (!ParseKey(&ikey)) return;
      if (ikey.sequence > sequence_) continue;
      if (ikey.type == kTypeDeletion) {
        // Hides every older version of this key.
        saved_key_.assign(ikey.user_key);
        skipping = true;
      } else if (!skipping || CompareUserKey(ikey.user_key, saved_key_) > 0) {
        valid_ = true;
        saved_key_.clear();
        return;
      }
    }
    valid_ = false;
    saved_key_.clear();
  }

  // Moves backward from iter_ over the entries of the next smaller user key
  // that is live at sequence_, copying its newest visible value, and leaves
  // iter_ before that key's entries.
  // REQUIRES: direction_ == kReverse.
  void FindPrevUserEntry() {
    ValueType value_type = kTypeDeletion;
    ParsedInternalKey ikey;
    for (; iter_->Valid(); iter_->Prev()) {
      if (!ParseKey(&ikey)) return;
      if (ikey.sequence > sequence_) continue;
      if (value_type != kTypeDeletion && CompareUserKey(ikey.user_key, saved_key_) < 0) {
        break;  // saved_key_ is live and iter_ is before its entries
      }
      // Entries of one key arrive oldest first: the last one seen wins.
      value_type = ikey.type;
      if (value_type == kTypeDeletion) {
        saved_key_.clear();
        ClearSavedValue();
      } else {
        saved_key_.assign(ikey.user_key);
        const std::string_view v = iter_->value();
        if (saved_value_.capacity() > v.size() + kMaxRetainedValueBytes) {
          std::string().swap(saved_value_);
        }
        saved_value_.assign(v);
      }
    }
    if (value_type == kTypeDeletion) {
      valid_ = false;
      saved_key_.clear();
      ClearSavedValue();
      direction_ = kForward;
    } else {
      valid_ = true;
    }
  }

  void ClearSavedValue() {
    if (saved_value_.capacity() > kMaxRetainedValueBytes) {
      std::string().swap(saved_value_);
    } else {
      saved_value_.clear();
    }
  }

  std::unique_ptr<Iterator> iter_;
  const SequenceNumber sequence_;
  const std::function<void()> on_destroy_;
  Direction direction_ = kForward;
  bool valid_ = false;
  std::string saved_key_;
  std::string saved_value_;
  Status status_;
};

}  // namespace

Iterator* NewDBIterator(Iterator* internal, SequenceNumber sequence,
                        std::function<void()> on_destroy) {
  return new DBIter(internal, sequence, std::move(on_destroy));
}

}  // namespace firn
