/* The matcher's hot loop, compiled: index/matcher.py is the reference and the fallback.
 *
 * Three functions, each a line-for-line port of Python code that stays in index/:
 *
 *   prepare(text) -> (folded, scanned, breaks, shifts) | None
 *       index.text.fold's common path (lower, one kind of space and apostrophe, runs of spaces
 *       collapsed) and index.matcher._word_text, in one pass. None when the text needs
 *       fold's careful path (a character that lower-cases to several, a zero-width one);
 *       the caller checks NFC, which needs unicodedata.
 *   resolve(hits, rules) -> list
 *       Matcher._resolve: overlapping hits in text order, nested ones marked.
 *   scan_words(context, scanned, folded, text, breaks, shifts, code, hits) -> bool
 *       Matcher._scan_words: the word-key hits with their edge, code and rule checks, appended
 *       to `hits` as Match tuples; returns whether two hits overlap. The rare, involved checks
 *       (Korean edges with Kiwi, code tokens, inline code, case-sensitive forms) call back
 *       into the Python functions given in `context`, so each rule has one definition.
 *
 * Why: on text dense with terms the per-hit Python was three quarters of the matcher's time
 * (bench/matcher.py). The tests run every matcher test on both paths and compare them on
 * random text (tests/test_compiled_matcher.py).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* --- folding tables (set once by index.text through configure()) ---------------------- */

#define SPECIALS_MAX 128
static Py_UCS4 special_chars[SPECIALS_MAX]; /* sorted */
static char special_kind[SPECIALS_MAX];     /* ' ' to space, '\'' to apostrophe, 0 dropped */
static Py_ssize_t n_specials = 0;
static signed char ascii_special[128]; /* index into the above, -1 for ordinary characters */

static PyObject *
configure(PyObject *self, PyObject *args)
{
    PyObject *to_space, *to_apostrophe, *dropped;
    if (!PyArg_ParseTuple(args, "UUU", &to_space, &to_apostrophe, &dropped))
        return NULL;
    PyObject *groups[3] = {to_space, to_apostrophe, dropped};
    const char kinds[3] = {' ', '\'', 0};
    Py_ssize_t n = 0;
    for (int g = 0; g < 3; g++) {
        Py_ssize_t len = PyUnicode_GET_LENGTH(groups[g]);
        for (Py_ssize_t i = 0; i < len; i++) {
            if (n == SPECIALS_MAX) {
                PyErr_SetString(PyExc_ValueError, "too many special characters");
                return NULL;
            }
            Py_UCS4 c = PyUnicode_READ_CHAR(groups[g], i);
            Py_ssize_t j = n++;
            while (j > 0 && special_chars[j - 1] > c) { /* insertion sort: a few dozen */
                special_chars[j] = special_chars[j - 1];
                special_kind[j] = special_kind[j - 1];
                j--;
            }
            special_chars[j] = c;
            special_kind[j] = kinds[g];
        }
    }
    n_specials = n;
    memset(ascii_special, -1, sizeof ascii_special);
    for (Py_ssize_t i = 0; i < n; i++)
        if (special_chars[i] < 128)
            ascii_special[special_chars[i]] = (signed char)i;
    Py_RETURN_NONE;
}

/* -1: an ordinary character; otherwise the index of a special one. */
static inline Py_ssize_t
find_special(Py_UCS4 c)
{
    if (c >= 0xAC00 && c <= 0xD7A3)
        return -1; /* Hangul syllables: the common case in Korean text */
    Py_ssize_t lo = 0, hi = n_specials;
    while (lo < hi) {
        Py_ssize_t mid = (lo + hi) / 2;
        if (special_chars[mid] < c)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (lo < n_specials && special_chars[lo] == c) ? lo : -1;
}

/* \w of Python's re: str.isalnum() or the underscore. */
static inline int
is_word_char(Py_UCS4 c)
{
    if (c < 128)
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (c >= 0xAC00 && c <= 0xD7A3)
        return 1;
    return Py_UNICODE_ISALNUM(c);
}

static PyObject *
prepare(PyObject *self, PyObject *text)
{
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "text must be str");
        return NULL;
    }
    if (n_specials == 0) {
        PyErr_SetString(PyExc_RuntimeError, "configure() first");
        return NULL;
    }
    PyObject *lowered = PyObject_CallMethod(text, "lower", NULL);
    if (lowered == NULL)
        return NULL;
    Py_ssize_t n = PyUnicode_GET_LENGTH(lowered);
    if (n != PyUnicode_GET_LENGTH(text)) {
        Py_DECREF(lowered);
        Py_RETURN_NONE; /* fold's careful path */
    }
    int kind = PyUnicode_KIND(lowered);
    const void *data = PyUnicode_DATA(lowered);
    Py_UCS4 *folded = PyMem_Malloc(sizeof(Py_UCS4) * (2 * n + 2));
    Py_ssize_t *breaks = PyMem_Malloc(sizeof(Py_ssize_t) * (2 * n + 2));
    PyObject *result = NULL;
    if (folded == NULL || breaks == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    Py_UCS4 *scanned = folded + n; /* n + 2 characters */
    Py_ssize_t *shifts = breaks + n + 1;
    Py_ssize_t out = 0, removed = 0, n_breaks = 0;
    int run_removed = 0; /* the current run of spaces lost characters */
    scanned[0] = ' ';
    /* One loop per string kind, so that reading a character is a plain array access. */
#define FOLD_LOOP(TYPE)                                                                                            \
    for (Py_ssize_t i = 0; i < n; i++) {                                                                           \
        Py_UCS4 c = ((const TYPE *)data)[i];                                                                       \
        Py_ssize_t s = c < 128 ? ascii_special[c] : find_special(c);                                               \
        if (s >= 0) {                                                                                              \
            if (special_kind[s] == 0) {                                                                            \
                Py_INCREF(Py_None); /* a zero-width character: fold's careful path */                              \
                result = Py_None;                                                                                  \
                goto done;                                                                                         \
            }                                                                                                      \
            c = (Py_UCS4)special_kind[s];                                                                          \
        }                                                                                                          \
        if (c == ' ' && out > 0 && folded[out - 1] == ' ') {                                                       \
            removed++;                                                                                             \
            run_removed = 1;                                                                                       \
            continue;                                                                                              \
        }                                                                                                          \
        if (run_removed) {                                                                                         \
            breaks[n_breaks] = out;                                                                                \
            shifts[n_breaks++] = removed;                                                                          \
            run_removed = 0;                                                                                       \
        }                                                                                                          \
        folded[out] = c;                                                                                           \
        scanned[out + 1] = (c == ' ' || is_word_char(c)) ? c : ' ';                                                \
        out++;                                                                                                     \
    }
    if (kind == PyUnicode_1BYTE_KIND)
        FOLD_LOOP(Py_UCS1)
    else if (kind == PyUnicode_2BYTE_KIND)
        FOLD_LOOP(Py_UCS2)
    else
        FOLD_LOOP(Py_UCS4)
#undef FOLD_LOOP
    if (run_removed) {
        breaks[n_breaks] = out;
        shifts[n_breaks++] = removed;
    }
    scanned[out + 1] = ' ';
    /* ASCII in, ASCII out (the special ASCII characters map to ASCII); otherwise let CPython
       find the narrowest kind, as a str must have. */
    int ascii = PyUnicode_IS_ASCII(lowered);
    PyObject *folded_str =
        ascii ? PyUnicode_New(out, 127) : PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, folded, out);
    PyObject *scanned_str =
        ascii ? PyUnicode_New(out + 2, 127) : PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, scanned, out + 2);
    if (ascii && folded_str && scanned_str) {
        Py_UCS1 *f = PyUnicode_1BYTE_DATA(folded_str), *w = PyUnicode_1BYTE_DATA(scanned_str);
        for (Py_ssize_t i = 0; i < out; i++)
            f[i] = (Py_UCS1)folded[i];
        for (Py_ssize_t i = 0; i < out + 2; i++)
            w[i] = (Py_UCS1)scanned[i];
    }
    PyObject *breaks_t = PyTuple_New(n_breaks);
    PyObject *shifts_t = PyTuple_New(n_breaks);
    if (folded_str && scanned_str && breaks_t && shifts_t) {
        int ok = 1;
        for (Py_ssize_t b = 0; b < n_breaks && ok; b++) {
            PyObject *x = PyLong_FromSsize_t(breaks[b]);
            PyObject *y = PyLong_FromSsize_t(shifts[b]);
            if (x == NULL || y == NULL) {
                Py_XDECREF(x);
                Py_XDECREF(y);
                ok = 0;
                break;
            }
            PyTuple_SET_ITEM(breaks_t, b, x);
            PyTuple_SET_ITEM(shifts_t, b, y);
        }
        if (ok)
            result = PyTuple_Pack(4, folded_str, scanned_str, breaks_t, shifts_t);
    }
    Py_XDECREF(folded_str);
    Py_XDECREF(scanned_str);
    Py_XDECREF(breaks_t);
    Py_XDECREF(shifts_t);
done:
    PyMem_Free(folded);
    PyMem_Free(breaks);
    Py_DECREF(lowered);
    return result;
}

/* --- the scan ---------------------------------------------------------------------------- */

/* Folded position -> original position (Folded._original). */
static inline Py_ssize_t
original(Py_ssize_t position, const Py_ssize_t *breaks, const Py_ssize_t *shifts, Py_ssize_t n)
{
    Py_ssize_t lo = 0, hi = n; /* bisect_right */
    while (lo < hi) {
        Py_ssize_t mid = (lo + hi) / 2;
        if (position < breaks[mid])
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo > 0 ? position + shifts[lo - 1] : position;
}

static int
call_bool(PyObject *callable, PyObject *args)
{
    if (args == NULL)
        return -1;
    PyObject *r = PyObject_Call(callable, args, NULL);
    Py_DECREF(args);
    if (r == NULL)
        return -1;
    int truth = PyObject_IsTrue(r);
    Py_DECREF(r);
    return truth;
}

/* context: (automaton, Match, endings, korean_edges, inside_code, in_inline_code, cased_form,
 *           code_marks, rules) where rules = ("exact", "case", "variant", "inflection"). */
static PyObject *
scan_words(PyObject *self, PyObject *args)
{
    PyObject *context, *scanned, *ft, *text, *breaks_t, *shifts_t, *code, *hits;
    if (!PyArg_ParseTuple(args, "O!UUUO!O!OO!", &PyTuple_Type, &context, &scanned, &ft, &text, &PyTuple_Type,
                          &breaks_t, &PyTuple_Type, &shifts_t, &code, &PyList_Type, &hits))
        return NULL;
    PyObject *automaton, *match_type, *endings, *korean_edges, *inside_code, *in_inline_code, *cased_form, *code_marks,
        *rules;
    if (!PyArg_ParseTuple(context, "OO!OOOOOUO!", &automaton, &PyType_Type, &match_type, &endings, &korean_edges,
                          &inside_code, &in_inline_code, &cased_form, &code_marks, &PyTuple_Type, &rules))
        return NULL;
    if (PyTuple_GET_SIZE(rules) != 4 || PyTuple_GET_SIZE(breaks_t) != PyTuple_GET_SIZE(shifts_t)) {
        PyErr_SetString(PyExc_ValueError, "bad context");
        return NULL;
    }
    PyTypeObject *mt = (PyTypeObject *)match_type;
    Py_ssize_t n_breaks = PyTuple_GET_SIZE(breaks_t);
    Py_ssize_t *breaks = PyMem_Malloc(sizeof(Py_ssize_t) * (2 * n_breaks + 1));
    if (breaks == NULL)
        return PyErr_NoMemory();
    Py_ssize_t *shifts = breaks + n_breaks;
    for (Py_ssize_t b = 0; b < n_breaks; b++) {
        breaks[b] = PyLong_AsSsize_t(PyTuple_GET_ITEM(breaks_t, b));
        shifts[b] = PyLong_AsSsize_t(PyTuple_GET_ITEM(shifts_t, b));
    }
    if (PyErr_Occurred()) {
        PyMem_Free(breaks);
        return NULL;
    }
    int moved = n_breaks > 0;

    const int s_kind = PyUnicode_KIND(scanned), f_kind = PyUnicode_KIND(ft), t_kind = PyUnicode_KIND(text);
    const void *s_data = PyUnicode_DATA(scanned), *f_data = PyUnicode_DATA(ft), *t_data = PyUnicode_DATA(text);
    const Py_ssize_t s_len = PyUnicode_GET_LENGTH(scanned), f_len = PyUnicode_GET_LENGTH(ft),
                     t_len = PyUnicode_GET_LENGTH(text), marks_len = PyUnicode_GET_LENGTH(code_marks);
    if (s_len != f_len + 2) {
        PyMem_Free(breaks);
        PyErr_SetString(PyExc_ValueError, "scanned must be the folded text's word text, padded");
        return NULL;
    }
    PyObject *iterator = PyObject_CallMethod(automaton, "iter", "O", scanned);
    if (iterator == NULL) {
        PyMem_Free(breaks);
        return NULL;
    }
    int overlapping = 0, failed = 0;
    Py_ssize_t prev_start = -1, prev_end = -1;
    PyObject *item;
    while ((item = PyIter_Next(iterator)) != NULL) {
        PyObject *surface = NULL;
        PyObject *chosen = NULL; /* a new reference from cased_form */
        /* (last, (length, forms, cased, word_start, ends_hangul, punct, apostrophe, first)) */
        PyObject *entry = PyTuple_Check(item) && PyTuple_GET_SIZE(item) == 2 ? PyTuple_GET_ITEM(item, 1) : NULL;
        if (entry == NULL || !PyTuple_Check(entry) || PyTuple_GET_SIZE(entry) != 8 ||
            !PyUnicode_Check(PyTuple_GET_ITEM(entry, 6))) {
            PyErr_SetString(PyExc_TypeError, "the automaton's values must be the matcher's entries");
            goto fail;
        }
        Py_ssize_t last = PyLong_AsSsize_t(PyTuple_GET_ITEM(item, 0));
        Py_ssize_t length = PyLong_AsSsize_t(PyTuple_GET_ITEM(entry, 0));
        PyObject *forms = PyTuple_GET_ITEM(entry, 1);
        int cased = PyTuple_GET_ITEM(entry, 2) == Py_True;
        Py_ssize_t word_start = PyLong_AsSsize_t(PyTuple_GET_ITEM(entry, 3));
        int ends_hangul = PyTuple_GET_ITEM(entry, 4) == Py_True;
        PyObject *apostrophe = PyTuple_GET_ITEM(entry, 6);
        PyObject *first = PyTuple_GET_ITEM(entry, 7);
        if (PyErr_Occurred())
            goto fail;
        Py_ssize_t end = last, start = last - length + word_start;
        Py_UCS4 after = last + 1 < s_len ? PyUnicode_READ(s_kind, s_data, last + 1) : ' ';
        if (after != ' ') { /* glued to a word character */
            int ok;
            if (after >= 0xAC00 && after <= 0xD7A3) {
                /* A particle or an ending that ends the word: the common Korean case. */
                Py_ssize_t stop = end;
                while (stop < f_len && stop - end < 6) {
                    Py_UCS4 c = PyUnicode_READ(f_kind, f_data, stop);
                    if (c < 0xAC00 || c > 0xD7A3)
                        break;
                    stop++;
                }
                ok = 0;
                if (stop - end <= 5 && PyUnicode_READ(s_kind, s_data, stop + 1) == ' ') {
                    PyObject *ending = PyUnicode_Substring(ft, end, stop);
                    if (ending == NULL)
                        goto fail;
                    ok = PySet_Contains(endings, ending);
                    Py_DECREF(ending);
                    if (ok < 0)
                        goto fail;
                }
                if (!ok)
                    ok = call_bool(korean_edges, Py_BuildValue("(OnnO)", ft, start, end, Py_False));
            }
            else if (!ends_hangul)
                ok = 0; /* the hit runs on into a longer Latin word: the common rejection */
            else
                ok = call_bool(korean_edges, Py_BuildValue("(OnnO)", ft, start, end, Py_False));
            if (ok < 0)
                goto fail;
            if (!ok)
                goto next;
        }
        if (!word_start && start && PyUnicode_READ(s_kind, s_data, start) != ' ') { /* glued left */
            int ok = call_bool(korean_edges, Py_BuildValue("(OnnOO)", ft, start, end, Py_True, Py_False));
            if (ok < 0)
                goto fail;
            if (!ok)
                goto next;
        }
        if (PyUnicode_GET_LENGTH(apostrophe)) {
            if (end - start != PyUnicode_GET_LENGTH(apostrophe))
                goto next;
            Py_ssize_t same = PyUnicode_Tailmatch(ft, apostrophe, start, end, -1);
            if (same < 0)
                goto fail;
            if (!same)
                goto next;
        }
        Py_ssize_t o_start = start, o_end = end;
        if (moved) {
            o_start = original(start, breaks, shifts, n_breaks);
            o_end = original(end - 1, breaks, shifts, n_breaks) + 1;
        }
        {
            Py_UCS4 before_c = o_start > 0 ? PyUnicode_READ(t_kind, t_data, o_start - 1) : ' ';
            Py_UCS4 after_c = o_end < t_len ? PyUnicode_READ(t_kind, t_data, o_end) : ' ';
            if (PyUnicode_FindChar(code_marks, before_c, 0, marks_len, 1) >= 0 ||
                PyUnicode_FindChar(code_marks, after_c, 0, marks_len, 1) >= 0) {
                int inside = call_bool(inside_code, Py_BuildValue("(Onn)", text, o_start, o_end));
                if (inside < 0)
                    goto fail;
                if (inside)
                    goto next;
            }
        }
        if (code != Py_None || cased) {
            surface = PyUnicode_Substring(text, o_start, o_end);
            if (surface == NULL)
                goto fail;
        }
        if (code != Py_None) {
            int inside = call_bool(in_inline_code, Py_BuildValue("(OnnO)", code, o_start, o_end, surface));
            if (inside < 0)
                goto fail;
            if (inside)
                goto next;
        }
        if (cased) {
            chosen = PyObject_CallFunctionObjArgs(cased_form, forms, surface, NULL);
            if (chosen == NULL)
                goto fail;
            if (chosen == Py_None)
                goto next;
            first = chosen;
        }
        {
            /* first = (term, label_text, label_lower, lang, status, inflected) */
            if (!PyTuple_Check(first) || PyTuple_GET_SIZE(first) != 6) {
                PyErr_SetString(PyExc_ValueError, "bad form info");
                goto fail;
            }
            PyObject *label_text = PyTuple_GET_ITEM(first, 1);
            PyObject *rule;
            if (PyTuple_GET_ITEM(first, 5) == Py_True)
                rule = PyTuple_GET_ITEM(rules, 3); /* inflection */
            else {
                int exact = 0;
                if (o_end - o_start == PyUnicode_GET_LENGTH(label_text)) {
                    Py_ssize_t same = PyUnicode_Tailmatch(text, label_text, o_start, o_end, -1);
                    if (same < 0)
                        goto fail;
                    exact = same > 0;
                }
                if (exact)
                    rule = PyTuple_GET_ITEM(rules, 0);
                else {
                    if (surface == NULL && (surface = PyUnicode_Substring(text, o_start, o_end)) == NULL)
                        goto fail;
                    PyObject *lower = PyObject_CallMethod(surface, "lower", NULL);
                    if (lower == NULL)
                        goto fail;
                    int same = PyUnicode_Compare(lower, PyTuple_GET_ITEM(first, 2)) == 0;
                    Py_DECREF(lower);
                    if (PyErr_Occurred())
                        goto fail;
                    rule = PyTuple_GET_ITEM(rules, same ? 1 : 2); /* case, variant */
                }
            }
            if (o_start < prev_end || o_start < prev_start)
                overlapping = 1;
            prev_start = o_start;
            prev_end = o_end;
            /* Match(term, start, end, label, rule, lang, label_status, nested=False) */
            PyObject *m = mt->tp_alloc(mt, 8);
            if (m == NULL)
                goto fail;
            PyObject *s = PyLong_FromSsize_t(o_start), *e = PyLong_FromSsize_t(o_end);
            if (s == NULL || e == NULL) {
                Py_XDECREF(s);
                Py_XDECREF(e);
                Py_DECREF(m);
                goto fail;
            }
            PyObject *fields[8] = {PyTuple_GET_ITEM(first, 0), s, e, label_text, rule,
                                   PyTuple_GET_ITEM(first, 3), PyTuple_GET_ITEM(first, 4), Py_False};
            for (int f = 0; f < 8; f++) {
                if (f != 1 && f != 2)
                    Py_INCREF(fields[f]);
                PyTuple_SET_ITEM(m, f, fields[f]);
            }
            int appended = PyList_Append(hits, m);
            Py_DECREF(m);
            if (appended < 0)
                goto fail;
        }
    next:
        Py_XDECREF(surface);
        Py_XDECREF(chosen);
        Py_DECREF(item);
        continue;
    fail:
        Py_XDECREF(surface);
        Py_XDECREF(chosen);
        Py_DECREF(item);
        failed = 1;
        break;
    }
    Py_DECREF(iterator);
    PyMem_Free(breaks);
    if (failed || PyErr_Occurred())
        return NULL;
    return PyBool_FromLong(overlapping);
}

/* --- overlapping hits ------------------------------------------------------------------- */

typedef struct {
    Py_ssize_t start, end, rank, order;
    PyObject *hit; /* borrowed from the input list */
} Sorted;

static int
text_order(const void *a, const void *b)
{
    const Sorted *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    if (x->end != y->end)
        return x->end > y->end ? -1 : 1; /* longer first */
    if (x->rank != y->rank)
        return x->rank < y->rank ? -1 : 1;
    return x->order < y->order ? -1 : 1; /* list.sort is stable */
}

/* resolve(hits, rules) -> list: matcher._resolve (text order, longer first; a hit inside a
 * longer hit of the same term dropped, one inside another term's hit marked nested). */
static PyObject *
resolve(PyObject *self, PyObject *args)
{
    PyObject *hits, *rules;
    if (!PyArg_ParseTuple(args, "O!O!", &PyList_Type, &hits, &PyTuple_Type, &rules))
        return NULL;
    Py_ssize_t n = PyList_GET_SIZE(hits), n_rules = PyTuple_GET_SIZE(rules);
    Sorted *sorted = PyMem_Malloc(sizeof(Sorted) * (n ? n : 1));
    Py_ssize_t *outer = PyMem_Malloc(sizeof(Py_ssize_t) * (n ? n : 1));
    PyObject *out = PyList_New(0);
    if (sorted == NULL || outer == NULL || out == NULL) {
        PyMem_Free(sorted);
        PyMem_Free(outer);
        Py_XDECREF(out);
        return PyErr_NoMemory();
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *hit = PyList_GET_ITEM(hits, i);
        if (!PyTuple_Check(hit) || PyTuple_GET_SIZE(hit) != 8) {
            PyErr_SetString(PyExc_TypeError, "hits must be Match tuples");
            goto fail;
        }
        PyObject *rule = PyTuple_GET_ITEM(hit, 4);
        Py_ssize_t rank = -1;
        for (Py_ssize_t r = 0; r < n_rules && rank < 0; r++) {
            int same = PyObject_RichCompareBool(rule, PyTuple_GET_ITEM(rules, r), Py_EQ);
            if (same < 0)
                goto fail;
            if (same)
                rank = r;
        }
        if (rank < 0) {
            PyErr_SetString(PyExc_KeyError, "unknown rule");
            goto fail;
        }
        sorted[i].start = PyLong_AsSsize_t(PyTuple_GET_ITEM(hit, 1));
        sorted[i].end = PyLong_AsSsize_t(PyTuple_GET_ITEM(hit, 2));
        sorted[i].rank = rank;
        sorted[i].order = i;
        sorted[i].hit = hit;
    }
    if (PyErr_Occurred())
        goto fail;
    qsort(sorted, n, sizeof(Sorted), text_order);
    Py_ssize_t reach = -1, n_outer = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        Sorted *h = &sorted[i];
        if (h->end <= reach) {
            int same_term = 0;
            for (Py_ssize_t o = 0; o < n_outer && !same_term; o++) {
                Sorted *x = &sorted[outer[o]];
                if (x->end < h->end)
                    continue;
                same_term = PyObject_RichCompareBool(PyTuple_GET_ITEM(x->hit, 0), PyTuple_GET_ITEM(h->hit, 0), Py_EQ);
                if (same_term < 0)
                    goto fail;
            }
            if (same_term)
                continue;
            /* hit._replace(nested=True) */
            PyTypeObject *type = Py_TYPE(h->hit);
            PyObject *nested = type->tp_alloc(type, 8);
            if (nested == NULL)
                goto fail;
            for (int f = 0; f < 7; f++) {
                PyObject *field = PyTuple_GET_ITEM(h->hit, f);
                Py_INCREF(field);
                PyTuple_SET_ITEM(nested, f, field);
            }
            Py_INCREF(Py_True);
            PyTuple_SET_ITEM(nested, 7, Py_True);
            int appended = PyList_Append(out, nested);
            Py_DECREF(nested);
            if (appended < 0)
                goto fail;
            continue;
        }
        if (PyList_Append(out, h->hit) < 0)
            goto fail;
        if (n_outer && sorted[outer[n_outer - 1]].end <= h->start)
            n_outer = 0;
        outer[n_outer++] = i;
        reach = h->end;
    }
    PyMem_Free(sorted);
    PyMem_Free(outer);
    return out;
fail:
    PyMem_Free(sorted);
    PyMem_Free(outer);
    Py_DECREF(out);
    return NULL;
}

static PyMethodDef methods[] = {
    {"resolve", resolve, METH_VARARGS, "resolve(hits, rules) -> hits in text order, nested ones marked"},
    {"configure", configure, METH_VARARGS, "configure(to_space, to_apostrophe, dropped): fold's character classes"},
    {"prepare", prepare, METH_O, "prepare(text) -> (folded, scanned, breaks, shifts) or None"},
    {"scan_words", scan_words, METH_VARARGS, "scan_words(context, scanned, folded, text, breaks, shifts, code, hits)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "index._scan", "The matcher's hot loop, compiled.", -1, methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC
PyInit__scan(void)
{
    return PyModule_Create(&module);
}
