// Lists the chosen placement's variants under the arms textarea (no dependencies).
(() => {
  const placement = document.querySelector('[data-experiment-variants]');
  const arms = document.querySelector('[data-experiment-arms]');
  if (!placement || !arms) return;
  const variants = JSON.parse(placement.dataset.experimentVariants || '{}');
  const hint = document.createElement('p');
  hint.className = 'help experiment-variants-hint';
  arms.insertAdjacentElement('afterend', hint);
  const update = () => {
    const keys = variants[placement.value] || [];
    hint.textContent = placement.value
      ? `Variants of this placement: ${keys.join(', ') || '(none)'}`
      : 'Choose a placement to see its variants.';
    if (!arms.value.trim() && keys.length >= 2) {
      arms.value = keys.slice(0, 2).map((key, i) => `${i ? 'treatment' : 'control'} ${key} 50`).join('\n');
    }
  };
  placement.addEventListener('change', update);
  update();
})();
