// port/thread_annotations.h: Clang thread-safety analysis attributes.
// They expand to nothing on other compilers. Build with clang and
// -Wthread-safety to check the GUARDED_BY / REQUIRES annotations.
#ifndef FIRN_PORT_THREAD_ANNOTATIONS_H_
#define FIRN_PORT_THREAD_ANNOTATIONS_H_

#if defined(__clang__)
#define FIRN_TSA(x) __attribute__((x))
#else
#define FIRN_TSA(x)
#endif

#define CAPABILITY(x) FIRN_TSA(capability(x))
#define SCOPED_CAPABILITY FIRN_TSA(scoped_lockable)
#define GUARDED_BY(x) FIRN_TSA(guarded_by(x))
#define PT_GUARDED_BY(x) FIRN_TSA(pt_guarded_by(x))
#define REQUIRES(...) FIRN_TSA(requires_capability(__VA_ARGS__))
#define EXCLUDES(...) FIRN_TSA(locks_excluded(__VA_ARGS__))
#define ACQUIRE(...) FIRN_TSA(acquire_capability(__VA_ARGS__))
#define RELEASE(...) FIRN_TSA(release_capability(__VA_ARGS__))
#define ASSERT_CAPABILITY(x) FIRN_TSA(assert_capability(x))
#define NO_THREAD_SAFETY_ANALYSIS FIRN_TSA(no_thread_safety_analysis)

#endif  // FIRN_PORT_THREAD_ANNOTATIONS_H_
