# SPDX-License-Identifier: MIT
# bash completion for secmmu(1); installed as
# share/bash-completion/completions/secmmu.  Model and scenario names come
# from `secmmu list --names`, presets, knobs and their values from
# `secmmu policies --names`, so they follow the binary being completed.
# Self-contained: it does not need the bash-completion package's helpers.

_secmmu()
{
	local cur prev cmd i
	local exe=${COMP_WORDS[0]}
	local commands="run explore replay list policies zoo demo help --help --version"
	local run_opts="--policy --set --engine --strategy --iterations --seed
		--bound --depth --max-steps --schedule --keep-going --jobs
		--save-failure --trace --trace-text --delay --json --minimize --help"

	cur=${COMP_WORDS[COMP_CWORD]}
	prev=
	((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
	COMPREPLY=()

	if ((COMP_CWORD == 1)); then
		mapfile -t COMPREPLY < <(compgen -W "$commands" -- "$cur")
		return 0
	fi
	cmd=${COMP_WORDS[1]}

	case $cmd in
	run | explore | replay) ;;
	list)
		if [[ $cur == -* ]]; then
			mapfile -t COMPREPLY < <(compgen -W "--names" -- "$cur")
		else
			mapfile -t COMPREPLY < <(compgen -W \
				"$("$exe" list --names 2>/dev/null)" -- "$cur")
		fi
		return 0
		;;
	policies)
		mapfile -t COMPREPLY < <(compgen -W "--json --names" -- "$cur")
		return 0
		;;
	zoo)
		if [[ $prev == --jobs ]]; then
			return 0
		fi
		if [[ $cur == -* ]]; then
			mapfile -t COMPREPLY < <(compgen -W "--jobs --json" -- "$cur")
		else
			mapfile -t COMPREPLY < <(compgen -W \
				"$("$exe" list --names 2>/dev/null)" -- "$cur")
		fi
		return 0
		;;
	*)
		return 0
		;;
	esac

	# run / explore / replay: an option's value, an option, or the
	# model: a name or a file
	if [[ $prev == --set ||
		($prev == = && ${COMP_WORDS[COMP_CWORD - 3]} == --set) ||
		($cur == = && ${COMP_WORDS[COMP_CWORD - 2]} == --set) ]]; then
		_secmmu_set "$exe" "$cur"
		return 0
	fi
	case $prev in
	--policy)
		mapfile -t COMPREPLY < <(compgen -W "$("$exe" policies --names \
			2>/dev/null | awk '$1 == "preset" { print $2 }')" -- "$cur")
		return 0
		;;
	--engine)
		mapfile -t COMPREPLY < <(compgen -W "det real" -- "$cur")
		return 0
		;;
	--strategy)
		mapfile -t COMPREPLY < <(compgen -W "random pct dfs" -- "$cur")
		return 0
		;;
	--save-failure | --trace | --trace-text)
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		return 0
		;;
	--iterations | --seed | --bound | --depth | --max-steps | --schedule | \
		--jobs | --delay)
		return 0
		;;
	esac
	if [[ $cur == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$run_opts" -- "$cur")
		return 0
	fi
	# the one positional argument: once given, only options remain
	for ((i = 2; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		--keep-going | --json | --minimize | --help) ;;
		-*)
			((i++))
			# --set K=V is three words when "=" breaks words
			[[ ${COMP_WORDS[i + 1]} == = ]] && ((i += 2))
			;;
		*) return 0 ;;
		esac
	done
	mapfile -t COMPREPLY < <(compgen -W "$("$exe" list --names 2>/dev/null)" \
		-- "$cur"; compgen -f -- "$cur")
	return 0
}

# --set KNOB=VALUE: the knob names with "=", then that knob's values.
# bash splits words at "=" (COMP_WORDBREAKS): handle both forms.
_secmmu_set()
{
	local exe=$1 cur=$2 knob line pre=
	local -a words

	if [[ $cur == "=" || ${COMP_WORDS[COMP_CWORD - 1]} == "=" ]]; then
		if [[ $cur == "=" ]]; then
			knob=${COMP_WORDS[COMP_CWORD - 1]}
			cur=
		else
			knob=${COMP_WORDS[COMP_CWORD - 2]}
		fi
	elif [[ $cur == *=* ]]; then
		knob=${cur%%=*}
		cur=${cur#*=}
		pre=$knob=
	fi
	if [[ -n $knob ]]; then
		line=$("$exe" policies --names 2>/dev/null |
			awk -v k="$knob" '$1 == "knob" && $2 == k')
		read -r -a words <<<"$line"
		mapfile -t COMPREPLY < <(compgen -P "$pre" -W "${words[*]:2}" \
			-- "$cur")
		return 0
	fi
	mapfile -t COMPREPLY < <(compgen -W "$("$exe" policies --names \
		2>/dev/null | awk '$1 == "knob" { print $2 "=" }')" -- "$cur")
	compopt -o nospace 2>/dev/null
	return 0
}

complete -F _secmmu secmmu
