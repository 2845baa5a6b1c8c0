using ModuleService.Model.Architecture;
using ModuleService.Model.Checkpoints;
using static TorchSharp.torch;

namespace ModuleService.Model.Surgery;

public static partial class ModuleAssembler
{
    /// <summary>
    /// Builds the model that <see cref="Assemble"/>'s state dict describes, without the state dict: the model is
    /// created in <paramref name="dtype"/> first, then each part is opened, checked, copied into its parameters (an
    /// expert into its row of the stacked weights) and disposed before the next. Peak memory is the model plus one
    /// part, where a state dict and <c>load_state_dict</c> hold two copies of every weight.
    /// </summary>
    /// <returns>the model in eval mode; its config is <paramref name="family"/> with the assembled expert counts.</returns>
    /// <exception cref="ModuleSurgeryException">as <see cref="Assemble"/>; tensor problems are found when their part is opened.</exception>
    public static ModuleFormerForCausalLM Build(ModuleFormerConfig family, IReadOnlyList<PartSource> sources, ScalarType dtype = ScalarType.Float32)
    {
        family.Validate();
        var layout = Index(family, sources, source =>
        {
            ModuleLayout.CheckIdentity(family, source);
            return null;
        });
        var config = AssembledConfig(family, layout);

        return ModelCheckpoint.Create(config, dtype, model => new PartCopier(family, model).CopyAll(layout, config));
    }

    /// <summary>Copies opened parts into a model's parameters and checks that every parameter was written once.</summary>
    sealed class PartCopier(ModuleFormerConfig family, ModuleFormerForCausalLM model)
    {
        readonly Dictionary<string, Tensor> parameters = model.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);
        readonly HashSet<string> written = [];
        readonly PartDTypes dtypes = new();

        public void CopyAll(PartIndex<PartSource> layout, ModuleFormerConfig config)
        {
            using var noGrad = no_grad();
            foreach (var source in layout.Singletons.Values)
            {
                using var part = Open(source);
                var prefix = part.Layer is { } layer ? ModuleLayout.LayerPrefix(layer) : "";
                foreach (var (key, tensor) in part.Tensors) Write(prefix + key, tensor);
            }
            foreach (var ((layer, kind), experts) in layout.Experts)
            {
                var keys = ModuleLayout.MoeKeys(config, kind, layer);
                for (int position = 0; position < experts.Count; position++)
                {
                    using var part = Open(experts[position]);
                    WriteRow(keys.Experts, position, part.Tensors[ModuleLayout.ExpertsWeight]);             // (E, D, A|F)[e]
                    WriteRow(keys.OutputExperts, position, part.Tensors[ModuleLayout.OutputExpertsWeight]); // (E, A|F, D)[e]
                    WriteRow(keys.Router, position, part.Tensors[ModuleLayout.RouterWeight]);               // (E, G|D)[e]
                }
                written.UnionWith([keys.Experts, keys.OutputExperts, keys.Router]);
            }
            var unwritten = parameters.Keys.Except(written).ToList();
            if (unwritten.Count > 0)
                throw new InvalidOperationException($"assembled model has parameters no part wrote: {string.Join(", ", unwritten)}");
        }

        ModulePart Open(PartSource source)
        {
            var part = source.Open();
            try
            {
                dtypes.Agree(part.Name, ModuleLayout.CheckPart(family, part));
                return part;
            }
            catch
            {
                part.Dispose();
                throw;
            }
        }

        void Write(string key, Tensor tensor)
        {
            if (!parameters.TryGetValue(key, out var parameter))
                throw new InvalidOperationException($"part tensor maps to '{key}', which the model does not have");
            parameter.copy_(tensor);
            written.Add(key);
        }

        void WriteRow(string key, int row, Tensor tensor)
        {
            using var slice = parameters[key].select(0, row);
            slice.copy_(tensor);
        }
    }
}
