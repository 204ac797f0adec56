#!/usr/bin/env python3
# Writes cases/13-generated.vtlcases: seeded random templates built from balanced directives
# (#set, #if/#else, #foreach) around references, method calls and whitespace, closer to real
# mapping templates than generate_fuzz_cases.py's fragment soup.
import random, json, os
random.seed(10)
atoms = ['$a', '$!a', '${a}', '$n', '$s', '$m.k', '$m.get("k")', '$l[1]', '$l.get(0)', '$l.size()', '$s.length()', '$s.substring(1, 2)',
  '$s.replace("t", "T")', '$missing', '$!missing', '$m', '$l', '$d', '$b', '"quoted"', 'txt', ' ', '\n', '  ', ',', ':', '{', '}', '[', ']',
  '\\$a', '$a.', '$n.', '$foreach.count', '$velocityCount', '$i', '#* c *#', '## c\n', '$s.toUpperCase().length()', '$m.keySet()', '$l.contains(2)']
exprs = ['$n > 1', '$n == 2', '$a == "A"', '!$missing', '$b', '$b && $n < 5', '$s.length() > 2', '$l.size() == 3', '$missing || $b', '$n % 2 == 0', '"x" == "x"']
rhs = ['1', '$n + 1', '$n * 3 - 1', '"v$a"', "'lit'", '[1, $n]', '{"k": $a}', '$s.substring(1)', '$l.size() / 2', '$n / 0', '$missing', '$d * 2', '"${a}x"']
def block(depth):
    k = random.randint(1, 5)
    out = ''
    for _ in range(k):
        r = random.random()
        if r < 0.45 or depth > 2: out += random.choice(atoms)
        elif r < 0.6: out += '#set($x = %s)%s' % (random.choice(rhs), random.choice(['', '\n', ' ', '$x']))
        elif r < 0.75: out += '#if(%s)%s%s#else%s%s#end%s' % (random.choice(exprs), random.choice(['', '\n']), block(depth+1), random.choice(['', '\n', ' ']), block(depth+1), random.choice(['', '\n']))
        elif r < 0.88: out += '#foreach($i in %s)%s%s#end%s' % (random.choice(['$l', '[1..3]', '$m', '$m.keySet()', '[]']), random.choice(['', '\n']), block(depth+1), random.choice(['', '\n', '  \n']))
        else: out += random.choice(['  #set($y = 1)\n', '#if($b)\n  yes\n#end\n', '#foreach($i in $l)$i#if($foreach.hasNext),#end#end'])
    return out
inputs = json.dumps({"a": "A", "n": 2, "s": "str", "m": {"k": "v", "j": 3}, "l": [1, 2, 3], "d": 1.5, "b": True})
out = []
for i in range(300):
    t = block(0)
    lines = t.split('\n')
    if any(l.startswith('=== ') or l in ('--- input', '--- template') for l in lines): continue
    out.append(f"=== gen-{i:03d}\n--- input\n{inputs}\n--- template\n{t}")
open(os.path.join(os.path.dirname(os.path.abspath(__file__)), 'cases', '13-generated.vtlcases'), 'w').write('\n'.join(out) + '\n')
print(len(out))
